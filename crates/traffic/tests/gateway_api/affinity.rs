//! Cookie session affinity: while the canary has weight, its backendRef in
//! the owned rule sets a cookie naming the canary revision and a rule in
//! front keeps the clients carrying it on the canary; an abort takes both
//! away, a restore leaves no trace.

use serde_json::{Value, json};
use serin_api::RolloutSpec;
use serin_traffic::Routers;
use serin_traffic::gateway_api::GatewayApiRouter;

use crate::mesh_support::{World, as_written, canary, given, stable, with_header_route, written};
use crate::support::{assert_every_state_valid, on_web, route, world};

/// The router of a canary with `sessionAffinity` (cookie `sticky`, 1 h).
fn sticky_router(w: &World) -> Routers {
    let spec: RolloutSpec = serde_json::from_value(json!({"strategy": {"canary": {
        "stableService": "web-stable",
        "canaryService": "web-canary",
        "sessionAffinity": {"cookieName": "sticky", "maxAge": "1h"},
        "trafficRouting": on_web(),
    }}}))
    .expect("a valid spec");
    let router = GatewayApiRouter::for_spec(&w.target(), &spec).expect("a router");
    Routers::new(vec![Box::new(router)])
}

fn names(route: &Value) -> Vec<Value> {
    route["spec"]["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .map(|r| r["name"].clone())
        .collect()
}

#[tokio::test]
async fn a_canary_with_weight_sets_the_cookie_and_keeps_its_clients() {
    let w = world().await;
    sticky_router(&w)
        .apply(&with_header_route(canary("aaa", "bbb", 20), "beta"))
        .await
        .expect("applied");

    insta::assert_yaml_snapshot!(written(&route(&w, "web")));
    assert_every_state_valid(&w, "web");
}

#[tokio::test]
async fn no_cookie_and_no_sticky_rule_without_canary_weight() {
    let w = world().await;
    let routers = given(
        sticky_router(&w),
        &[canary("aaa", "bbb", 20), canary("aaa", "bbb", 40)],
    )
    .await;

    routers.apply(&stable("aaa")).await.expect("aborted");

    let web = route(&w, "web");
    assert_eq!(names(&web), vec![json!("primary"), json!("static")]);
    assert_eq!(
        web["spec"]["rules"][0]["backendRefs"][1],
        json!({"name": "web-canary", "port": 80, "weight": 0})
    );
}

#[tokio::test]
async fn a_sticky_canary_applied_twice_writes_nothing_and_restores_exactly() {
    let w = world().await;
    let before = as_written(route(&w, "web"));
    let routers = sticky_router(&w);
    let traffic = with_header_route(canary("aaa", "bbb", 20), "beta");
    routers.apply(&traffic).await.expect("first");
    let version = w.fake.resource_version();

    routers.apply(&traffic).await.expect("again");
    assert_eq!(w.fake.resource_version(), version);
    assert_eq!(routers.read_back().await.expect("read"), Some(traffic));

    routers.restore().await.expect("restored");
    assert_eq!(as_written(route(&w, "web")), before);
}
