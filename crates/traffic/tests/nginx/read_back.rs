//! What the router reads back: nothing before its first write, the traffic
//! applied while every canary Ingress still says it, nothing after a hand
//! edit or while the canary Ingresses disagree.

use serde_json::json;
use serin_traffic::TrafficRouter;

use crate::support::{WEB_CANARY, World, given, routed, weighted};

#[tokio::test]
async fn nothing_is_read_back_before_the_first_write() {
    let w = World::start().await;
    assert_eq!(w.web().read_back().await.expect("read"), None);
}

#[tokio::test]
async fn the_traffic_applied_is_read_back_routes_included() {
    let w = World::start().await;
    let t = routed(
        weighted(30),
        "qa",
        json!([{"headerName": "x-qa", "headerValue": {"prefix": "team-"}}]),
    );
    let router = given(w.web(), std::slice::from_ref(&t)).await;

    assert_eq!(router.read_back().await.expect("read"), Some(t));
}

#[tokio::test]
async fn a_weight_changed_by_hand_is_not_read_back_until_applied_again() {
    let w = World::start().await;
    let router = given(w.web(), &[weighted(30)]).await;
    w.edit(
        WEB_CANARY,
        json!({"metadata": {"annotations": {"nginx.ingress.kubernetes.io/canary-weight": "90"}}}),
    );

    assert_eq!(router.read_back().await.expect("read"), None);
    router.apply(&weighted(30)).await.expect("applied");
    assert_eq!(router.read_back().await.expect("read"), Some(weighted(30)));
}

#[tokio::test]
async fn canary_ingresses_that_disagree_read_back_nothing() {
    let w = World::start().await;
    let both = w.router(json!({"nginx": {"stableIngresses": ["web", "web-admin"]}}));
    given(both, &[weighted(10)]).await;
    let only_web = given(w.web(), &[weighted(20)]).await;

    assert_eq!(
        only_web.read_back().await.expect("read"),
        Some(weighted(20))
    );
    let both = w.router(json!({"nginx": {"stableIngresses": ["web", "web-admin"]}}));
    assert_eq!(both.read_back().await.expect("read"), None);
}

#[tokio::test]
async fn a_broken_traffic_record_is_an_error_naming_the_ingress() {
    let w = World::start().await;
    let router = given(w.web(), &[weighted(10)]).await;
    w.edit(
        WEB_CANARY,
        json!({"metadata": {"annotations": {"serin.dev/traffic": "{"}}}),
    );

    let e = router.read_back().await.expect_err("unreadable");
    assert!(
        e.to_string().starts_with(
            "nginx: Ingress default/web-app-canary: annotation serin.dev/traffic is not a traffic:"
        ),
        "{e}"
    );
}
