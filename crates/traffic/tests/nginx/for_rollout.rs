//! `for_rollout` adds the NGINX router after the Service router when the
//! spec has `trafficRouting.nginx`.

use serde_json::json;

use crate::support::World;

#[tokio::test]
async fn an_nginx_spec_gets_the_service_router_then_the_nginx_router() {
    let w = World::start().await;
    let routers = w.routers(json!({"nginx": {"stableIngress": "web"}}));
    assert_eq!(routers.names(), vec!["service", "nginx"]);
}

#[tokio::test]
async fn a_spec_without_nginx_gets_no_nginx_router() {
    let w = World::start().await;
    let routers = w.routers(json!({}));
    assert_eq!(routers.names(), vec!["service"]);
}
