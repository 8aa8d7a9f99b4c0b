//! Errors name the router, the object and what is wrong; nothing is
//! written when any object cannot take the traffic. And `for_rollout`
//! adds the Istio router after the Service router.

use serde_json::json;
use serin_kube_fake::Verb;

use crate::mesh_support::{canary, spec};
use crate::support::{path, router, world};

#[tokio::test]
async fn a_virtual_service_with_several_routes_needs_their_names() {
    let w = world().await;
    let routing = json!({"istio": {"virtualService": {"name": "web"}}});

    let e = router(&w, routing)
        .apply(&canary("aaa", "bbb", 10))
        .await
        .expect_err("ambiguous");

    assert_eq!(
        e.to_string(),
        "istio: VirtualService default/web: spec.http has 2 routes; name the ones serin owns in virtualService.routes"
    );
    assert_eq!(w.requests(Verb::Patch, &path()), 0);
}

#[tokio::test]
async fn a_missing_subset_is_invalid_and_nothing_is_written() {
    let w = world().await;
    let routing = json!({"istio": {
        "virtualService": {"name": "web-subsets"},
        "destinationRule": {"name": "web", "stableSubsetName": "stable", "canarySubsetName": "preview"},
    }});

    let e = router(&w, routing)
        .apply(&canary("aaa", "bbb", 10))
        .await
        .expect_err("no subset");

    assert_eq!(
        e.to_string(),
        "istio: DestinationRule default/web: spec.subsets has no subset named preview"
    );
    assert_eq!(w.requests(Verb::Patch, &path()), 0);
}

#[tokio::test]
async fn a_missing_virtual_service_is_not_found() {
    let w = world().await;
    let routing = json!({"istio": {"virtualServices": [{"name": "web", "routes": ["primary"]}, {"name": "gone"}]}});

    let e = router(&w, routing)
        .apply(&canary("aaa", "bbb", 10))
        .await
        .expect_err("missing");

    assert_eq!(
        e.to_string(),
        "istio: VirtualService default/gone not found"
    );
    assert_eq!(w.requests(Verb::Patch, &path()), 0);
}

#[tokio::test]
async fn for_rollout_adds_the_istio_router_after_the_service_router() {
    let w = world().await;
    let routers = serin_traffic::for_rollout(w.target(), &spec(crate::support::hosts()));
    assert_eq!(routers.names(), vec!["service", "istio"]);
}
