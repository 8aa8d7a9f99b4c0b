//! Header and mirror routes: a rule serin adds in front of the others for
//! each, in `managedRoutes` order; removed when the traffic no longer has
//! it; every rule the user wrote left as it was.

use serde_json::json;

use crate::mesh_support::{canary, given, with_header_route, with_mirror_route, written};
use crate::support::{assert_every_state_valid, on_web, route, router, world};

#[tokio::test]
async fn a_header_route_is_a_rule_in_front_sending_matching_requests_to_the_canary_only() {
    let w = world().await;
    router(&w, on_web())
        .apply(&with_header_route(canary("aaa", "bbb", 10), "beta"))
        .await
        .expect("applied");

    insta::assert_yaml_snapshot!(written(&route(&w, "web")));
    assert_every_state_valid(&w, "web");
}

#[tokio::test]
async fn a_mirror_route_is_a_rule_in_front_with_a_request_mirror_filter_and_a_percent() {
    let w = world().await;
    router(&w, on_web())
        .apply(&with_mirror_route(canary("aaa", "bbb", 10), "shadow", 25))
        .await
        .expect("applied");

    insta::assert_yaml_snapshot!(written(&route(&w, "web")));
    assert_every_state_valid(&w, "web");
}

#[tokio::test]
async fn added_rules_follow_the_managed_routes_order() {
    let w = world().await;
    let mut routing = on_web();
    routing["managedRoutes"] = json!([{"name": "shadow"}, {"name": "beta"}]);
    let traffic = with_mirror_route(
        with_header_route(canary("aaa", "bbb", 10), "beta"),
        "shadow",
        50,
    );
    router(&w, routing).apply(&traffic).await.expect("applied");

    let names: Vec<_> = route(&w, "web")["spec"]["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .map(|r| r["name"].clone())
        .collect();
    assert_eq!(
        names,
        vec![
            json!("serin-shadow"),
            json!("serin-beta"),
            json!("primary"),
            json!("static")
        ]
    );
}

#[tokio::test]
async fn a_route_no_longer_asked_for_is_removed_and_the_others_stay() {
    let w = world().await;
    let both = with_mirror_route(
        with_header_route(canary("aaa", "bbb", 10), "beta"),
        "shadow",
        50,
    );
    let routers = given(router(&w, on_web()), &[both]).await;

    routers
        .apply(&with_mirror_route(canary("aaa", "bbb", 20), "shadow", 50))
        .await
        .expect("applied");

    let rules = route(&w, "web")["spec"]["rules"].clone();
    let names: Vec<_> = rules
        .as_array()
        .expect("rules")
        .iter()
        .map(|r| r["name"].clone())
        .collect();
    assert_eq!(
        names,
        vec![json!("serin-shadow"), json!("primary"), json!("static")]
    );
    assert_eq!(
        rules[0]["backendRefs"][1]["weight"], 20,
        "the mirror rule carries the weights too"
    );
}

#[tokio::test]
async fn every_owned_rule_gets_its_own_added_rule() {
    let w = world().await;
    let routing = json!({"gatewayAPI": {"httpRoutes": [{"name": "web-internal"}]}});
    router(&w, routing)
        .apply(&with_header_route(canary("aaa", "bbb", 10), "beta"))
        .await
        .expect("applied");

    let rules = route(&w, "web-internal")["spec"]["rules"].clone();
    assert_eq!(rules[0]["name"], "serin-beta");
    assert_eq!(
        rules[0]["matches"][0]["path"],
        json!({"type": "PathPrefix", "value": "/"}),
        "a rule without matches matches every path"
    );
    assert_eq!(
        rules[0]["backendRefs"],
        json!([{"name": "web-canary", "port": 80, "weight": 1}])
    );
}
