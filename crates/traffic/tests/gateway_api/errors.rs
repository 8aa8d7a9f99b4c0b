//! Errors name the router, the object and what is wrong; nothing is
//! written when any route cannot take the traffic. And `for_rollout` puts
//! the Gateway API router after the Service router.

use serde_json::json;
use serin_kube_fake::Verb;
use serin_traffic::RouterError;

use crate::mesh_support::{NS, World, canary, spec, with_header_route};
use crate::support::{API, on_web, path, router, world};

#[tokio::test]
async fn a_missing_route_is_not_found_and_nothing_is_written() {
    let w = world().await;
    let routing = json!({"gatewayAPI": {"httpRoutes": [{"name": "web"}, {"name": "gone"}]}});

    let e = router(&w, routing)
        .apply(&canary("aaa", "bbb", 10))
        .await
        .expect_err("missing");

    assert!(matches!(e, RouterError::NotFound { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "gatewayAPI: HTTPRoute default/gone not found"
    );
    assert_eq!(w.requests(Verb::Patch, &path()), 0);
}

#[tokio::test]
async fn a_named_rule_that_is_not_there_is_invalid() {
    let w = world().await;
    let routing = json!({"gatewayAPI": {"httpRoutes": [{"name": "web", "rules": ["api"]}]}});

    let e = router(&w, routing)
        .apply(&canary("aaa", "bbb", 10))
        .await
        .expect_err("no rule");

    assert_eq!(
        e.to_string(),
        "gatewayAPI: HTTPRoute default/web: no rule named api"
    );
}

#[tokio::test]
async fn an_owned_rule_without_the_canary_backend_is_invalid() {
    let w = world().await;
    w.fake
        .patch(
            API,
            "HTTPRoute",
            Some(NS),
            "web-internal",
            &json!({"spec": {"rules": [{"backendRefs": [{"name": "web-stable", "port": 80}]}]}}),
        )
        .expect("edited");
    let routing = json!({"gatewayAPI": {"httpRoute": "web-internal"}});

    let e = router(&w, routing)
        .apply(&canary("aaa", "bbb", 10))
        .await
        .expect_err("no canary");

    assert_eq!(
        e.to_string(),
        "gatewayAPI: HTTPRoute default/web-internal: rule #0 has no backendRef to the canary Service web-canary"
    );
}

#[tokio::test]
async fn a_header_route_matching_a_header_the_rule_matches_already_is_invalid() {
    let w = World::start(&include_str!("fixtures/routes.yaml").replace(
        "            value: /\n",
        "            value: /\n          headers:\n            - name: x-beta\n              value: \"no\"\n",
    ))
    .await;

    let e = router(&w, on_web())
        .apply(&with_header_route(canary("aaa", "bbb", 10), "beta"))
        .await
        .expect_err("a header twice");

    assert!(
        e.to_string().contains("header X-Beta is matched twice"),
        "{e}"
    );
}

#[tokio::test]
async fn for_rollout_adds_the_gateway_api_router_after_the_service_router() {
    let w = world().await;
    let routers = serin_traffic::for_rollout(w.target(), &spec(on_web()));
    let names = routers.names();
    assert_eq!(names.first(), Some(&"service"));
    assert!(names.contains(&"gatewayAPI"), "{names:?}");
}

#[tokio::test]
async fn a_conflict_is_read_again_and_retried() {
    let w = world().await;
    w.fake.inject(serin_kube_fake::Fault {
        verb: Some(Verb::Patch),
        path_prefix: format!("{}/web", path()),
        code: 409,
        times: 1,
    });

    router(&w, on_web())
        .apply(&canary("aaa", "bbb", 10))
        .await
        .expect("applied on the second try");

    assert_eq!(w.requests(Verb::Patch, &format!("{}/web", path())), 2);
    let web = crate::support::route(&w, "web");
    assert_eq!(web["spec"]["rules"][0]["backendRefs"][1]["weight"], 10);
}
