//! Each kind of step as the canary Ingress carries it: a weight (scaled to
//! `maxTrafficWeight`), header routes matched exactly, by prefix and by
//! regex, a cookie route, an abort, a promotion.

use serde_json::{Value, json};
use serin_traffic::TrafficRouter;

use crate::support::{WEB_CANARY, World, given, record, routed, stable, weighted};

#[tokio::test]
async fn a_weight_creates_the_canary_ingress_cloned_from_the_stable_one() {
    let w = World::start().await;
    w.web().apply(&weighted(20)).await.expect("applied");

    assert_eq!(
        w.ingress(WEB_CANARY),
        w.web_canary(json!({
            "nginx.ingress.kubernetes.io/canary": "true",
            "nginx.ingress.kubernetes.io/canary-weight": "20",
            "serin.dev/traffic": record(&weighted(20)),
        }))
    );
}

#[tokio::test]
async fn a_new_weight_moves_only_the_weight_annotation() {
    let w = World::start().await;
    let router = given(w.web(), &[weighted(20)]).await;

    router.apply(&weighted(50)).await.expect("applied");

    assert_eq!(
        w.ingress(WEB_CANARY),
        w.web_canary(json!({
            "nginx.ingress.kubernetes.io/canary": "true",
            "nginx.ingress.kubernetes.io/canary-weight": "50",
            "serin.dev/traffic": record(&weighted(50)),
        }))
    );
    assert_eq!(w.history(WEB_CANARY).len(), 2, "created, then one patch");
}

#[tokio::test]
async fn a_max_traffic_weight_scales_the_weight_against_a_total() {
    let w = World::start().await;
    let router = w.router(json!({"nginx": {"stableIngress": "web"}, "maxTrafficWeight": 1000}));

    router.apply(&weighted(5)).await.expect("applied");

    assert_eq!(
        w.ingress(WEB_CANARY),
        w.web_canary(json!({
            "nginx.ingress.kubernetes.io/canary": "true",
            "nginx.ingress.kubernetes.io/canary-weight": "50",
            "nginx.ingress.kubernetes.io/canary-weight-total": "1000",
            "serin.dev/traffic": record(&weighted(5)),
        }))
    );
}

/// Applies a 10% canary with one route of `matches`, and checks the canary
/// Ingress is the clone of `web` with exactly the NGINX annotations
/// `rules` (beside `canary`, the weight and serin's record).
async fn route_is_written_as(matches: Value, rules: Value) {
    let w = World::start().await;
    let t = routed(weighted(10), "qa", matches);
    w.web().apply(&t).await.expect("applied");

    let mut annotations = json!({
        "nginx.ingress.kubernetes.io/canary": "true",
        "nginx.ingress.kubernetes.io/canary-weight": "10",
        "serin.dev/traffic": record(&t),
    });
    for (key, value) in rules.as_object().expect("a map") {
        annotations[format!("nginx.ingress.kubernetes.io/{key}")] = value.clone();
    }
    assert_eq!(w.ingress(WEB_CANARY), w.web_canary(annotations));
}

#[tokio::test]
async fn an_exact_header_route_is_a_header_and_its_value() {
    route_is_written_as(
        json!([{"headerName": "x-qa", "headerValue": {"exact": "yes"}}]),
        json!({"canary-by-header": "x-qa", "canary-by-header-value": "yes"}),
    )
    .await;
}

#[tokio::test]
async fn a_prefix_header_route_is_an_anchored_escaped_pattern() {
    route_is_written_as(
        json!([{"headerName": "x-qa", "headerValue": {"prefix": "team.a-"}}]),
        json!({"canary-by-header": "x-qa", "canary-by-header-pattern": r"^team\.a-"}),
    )
    .await;
}

#[tokio::test]
async fn a_regex_header_route_is_a_pattern_anchored_at_both_ends() {
    route_is_written_as(
        json!([{"headerName": "x-qa", "headerValue": {"regex": "a|b+"}}]),
        json!({"canary-by-header": "x-qa", "canary-by-header-pattern": "^(?:a|b+)$"}),
    )
    .await;
}

#[tokio::test]
async fn a_cookie_route_set_to_always_is_a_cookie_rule() {
    route_is_written_as(
        json!([{"cookieName": "beta", "cookieValue": {"exact": "always"}}]),
        json!({"canary-by-cookie": "beta"}),
    )
    .await;
}

#[tokio::test]
async fn an_abort_sets_the_weight_to_zero_and_drops_the_routes_but_keeps_the_ingress() {
    let w = World::start().await;
    let routed = routed(
        weighted(50),
        "qa",
        json!([{"headerName": "x-qa", "headerValue": {"exact": "yes"}}]),
    );
    let router = given(w.web(), &[routed]).await;

    router.apply(&stable("aaa")).await.expect("aborted");

    assert_eq!(
        w.ingress(WEB_CANARY),
        w.web_canary(json!({
            "nginx.ingress.kubernetes.io/canary": "true",
            "nginx.ingress.kubernetes.io/canary-weight": "0",
            "serin.dev/traffic": record(&stable("aaa")),
        }))
    );
}

#[tokio::test]
async fn a_promotion_leaves_the_canary_ingress_at_weight_zero() {
    let w = World::start().await;
    let router = given(w.web(), &[weighted(100)]).await;

    router.apply(&stable("bbb")).await.expect("promoted");

    assert_eq!(
        w.annotations(WEB_CANARY)["nginx.ingress.kubernetes.io/canary-weight"],
        json!("0")
    );
}

#[tokio::test]
async fn the_same_traffic_twice_writes_nothing() {
    let w = World::start().await;
    let t = routed(
        weighted(30),
        "qa",
        json!([{"headerName": "x-qa", "headerValue": {"regex": "a|b"}}]),
    );
    let router = given(w.web(), std::slice::from_ref(&t)).await;
    let writes = w.ingress_writes();
    assert_eq!(writes, 1, "the create");
    let version = w.stored(WEB_CANARY).expect("made")["metadata"]["resourceVersion"].clone();

    router.apply(&t).await.expect("applied again");

    assert_eq!(w.ingress_writes(), writes, "no request that writes");
    assert_eq!(
        w.stored(WEB_CANARY).expect("kept")["metadata"]["resourceVersion"],
        version
    );
}
