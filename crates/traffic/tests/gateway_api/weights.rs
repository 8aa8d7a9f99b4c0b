//! Weights: `setWeight` on the owned rule's stable and canary backendRefs
//! and nothing else, scaled to `maxTrafficWeight`, an abort back to stable,
//! several routes with named rules, and the same traffic twice writing
//! nothing.

use serde_json::json;
use serin_kube_fake::Verb;

use crate::mesh_support::{canary, given, stable, written};
use crate::support::{assert_every_state_valid, on_web, path, route, router, world};

#[tokio::test]
async fn set_weight_moves_the_owned_backend_weights_and_records_the_originals() {
    let w = world().await;
    router(&w, on_web())
        .apply(&canary("aaa", "bbb", 20))
        .await
        .expect("applied");

    insta::assert_yaml_snapshot!(written(&route(&w, "web")));
    assert_every_state_valid(&w, "web");
}

#[tokio::test]
async fn max_traffic_weight_scales_both_weights_to_the_total() {
    let w = world().await;
    let mut routing = on_web();
    routing["maxTrafficWeight"] = json!(1000);
    router(&w, routing)
        .apply(&canary("aaa", "bbb", 5))
        .await
        .expect("applied");

    let refs = &route(&w, "web")["spec"]["rules"][0]["backendRefs"];
    assert_eq!(
        refs,
        &json!([
            {"name": "web-stable", "port": 80, "weight": 950},
            {"name": "web-canary", "port": 80, "weight": 50},
        ])
    );
}

#[tokio::test]
async fn an_abort_sends_every_weight_back_to_stable_and_drops_serins_rules() {
    let w = world().await;
    let release = [crate::mesh_support::with_header_route(
        canary("aaa", "bbb", 40),
        "beta",
    )];
    let routers = given(router(&w, on_web()), &release).await;

    routers.apply(&stable("aaa")).await.expect("aborted");

    let rules = &route(&w, "web")["spec"]["rules"];
    assert_eq!(rules.as_array().map(Vec::len), Some(2), "{rules}");
    assert_eq!(
        rules[0]["backendRefs"],
        json!([
            {"name": "web-stable", "port": 80, "weight": 100},
            {"name": "web-canary", "port": 80, "weight": 0},
        ])
    );
    assert_eq!(
        routers.read_back().await.expect("read"),
        Some(stable("aaa"))
    );
    assert_every_state_valid(&w, "web");
}

#[tokio::test]
async fn named_rules_of_several_routes_are_weighted_and_no_other_rule_is() {
    let w = world().await;
    let routing = json!({"gatewayAPI": {"httpRoutes": [
        {"name": "web", "rules": ["primary"]},
        {"name": "web-internal"},
    ]}});
    router(&w, routing)
        .apply(&canary("aaa", "bbb", 30))
        .await
        .expect("applied");

    let web = route(&w, "web");
    assert_eq!(web["spec"]["rules"][0]["backendRefs"][1]["weight"], 30);
    assert_eq!(
        web["spec"]["rules"][1],
        json!({
            "name": "static",
            "matches": [{"path": {"type": "PathPrefix", "value": "/static"}}],
            "backendRefs": [{"name": "cdn", "port": 8080}],
        })
    );
    insta::assert_yaml_snapshot!(written(&route(&w, "web-internal")));
}

#[tokio::test]
async fn applying_the_same_traffic_again_writes_nothing() {
    let w = world().await;
    let routers = router(&w, on_web());
    let traffic = crate::mesh_support::with_mirror_route(
        crate::mesh_support::with_header_route(canary("aaa", "bbb", 20), "beta"),
        "shadow",
        25,
    );
    routers.apply(&traffic).await.expect("first");
    let version = w.fake.resource_version();
    let patches = w.requests(Verb::Patch, &path());

    routers.apply(&traffic).await.expect("again");

    assert_eq!(w.fake.resource_version(), version);
    assert_eq!(
        w.requests(Verb::Patch, &path()),
        patches,
        "no request to write"
    );
    assert_eq!(routers.read_back().await.expect("read"), Some(traffic));
}

#[tokio::test]
async fn a_route_in_another_namespace_weights_the_backend_refs_naming_the_rollouts() {
    let w = world().await;
    w.fake
        .create(
            Some("edge"),
            json!({
                "apiVersion": crate::support::API,
                "kind": "HTTPRoute",
                "metadata": {"name": "shop"},
                "spec": {"rules": [{"backendRefs": [
                    {"name": "web-stable", "namespace": "default", "port": 80},
                    {"name": "web-canary", "namespace": "default", "port": 80},
                    {"name": "web-canary", "port": 80},
                ]}]},
            }),
        )
        .expect("created");
    let routing = json!({"gatewayAPI": {"httpRoute": "shop", "namespace": "edge"}});

    router(&w, routing)
        .apply(&canary("aaa", "bbb", 40))
        .await
        .expect("applied");

    let shop = w.object_in("edge", crate::support::API, "HTTPRoute", "shop");
    crate::mesh_support::schema::assert_valid(&shop);
    assert_eq!(
        shop["spec"]["rules"][0]["backendRefs"],
        json!([
            {"name": "web-stable", "namespace": "default", "port": 80, "weight": 60},
            {"name": "web-canary", "namespace": "default", "port": 80, "weight": 40},
            {"name": "web-canary", "port": 80},
        ]),
        "the last names a Service of the route's own namespace, not the rollout's"
    );
}

#[tokio::test]
async fn a_route_the_server_has_defaulted_reads_back_and_takes_no_second_write() {
    let w = world().await;
    let routing = {
        let mut r = on_web();
        r["gatewayAPI"] = json!({"httpRoutes": [{"name": "web"}, {"name": "web-internal"}]});
        r
    };
    let routers = router(&w, routing);
    let traffic = crate::mesh_support::with_mirror_route(
        crate::mesh_support::with_header_route(canary("aaa", "bbb", 20), "beta"),
        "shadow",
        25,
    );
    routers.apply(&traffic).await.expect("first");
    for name in ["web", "web-internal"] {
        let defaulted = crate::mesh_support::schema::defaulted(&route(&w, name));
        assert_ne!(
            defaulted["spec"],
            route(&w, name)["spec"],
            "the CRD has defaults to fill in"
        );
        w.fake
            .patch(
                crate::support::API,
                "HTTPRoute",
                Some(crate::mesh_support::NS),
                name,
                &json!({"spec": defaulted["spec"]}),
            )
            .expect("defaulted");
    }
    let version = w.fake.resource_version();

    assert_eq!(
        routers.read_back().await.expect("read"),
        Some(traffic.clone())
    );
    routers.apply(&traffic).await.expect("again");

    assert_eq!(w.fake.resource_version(), version, "nothing written");
}
