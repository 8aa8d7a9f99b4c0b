//! What the router reports as in effect: the applied traffic once every
//! Service carries it, nothing before, nothing once someone else moved a
//! selector or the Services disagree.

use serde_json::json;
use serin_api::k8s::POD_TEMPLATE_HASH_LABEL as HASH;
use serin_api::routes::HeaderRoute;

use crate::support::{World, canary, given, preview};

#[tokio::test]
async fn read_back_is_none_before_any_write() {
    let w = World::start().await;
    assert_eq!(w.blue_green().read_back().await.expect("read"), None);
    assert_eq!(w.canary().read_back().await.expect("read"), None);
}

#[tokio::test]
async fn read_back_reports_the_whole_traffic_applied() {
    let w = World::start().await;
    let routers = w.canary();
    let mut traffic = canary("aaa", "bbb", 30);
    traffic.header_routes = vec![header_route()];

    routers.apply(&traffic).await.expect("applied");

    assert_eq!(routers.read_back().await.expect("read"), Some(traffic));
}

#[tokio::test]
async fn read_back_is_none_after_someone_else_changes_the_selector() {
    let w = World::start().await;
    let routers = given(w.blue_green(), &[preview("aaa", "bbb")]).await;

    w.edit("web-preview", json!({"spec": {"selector": {HASH: "zzz"}}}));

    assert_eq!(routers.read_back().await.expect("read"), None);
}

#[tokio::test]
async fn read_back_is_none_while_the_services_carry_different_traffic() {
    let w = World::start().await;
    let routers = given(w.blue_green(), &[preview("aaa", "bbb")]).await;

    // As if a change had reached the active Service and not yet the preview.
    let only_active = w.routers(json!({"blueGreen": {"activeService": "web-active"}}));
    only_active
        .apply(&preview("aaa", "ccc"))
        .await
        .expect("applied to one");

    assert_eq!(routers.read_back().await.expect("read"), None);
}

#[tokio::test]
async fn an_unreadable_traffic_annotation_is_an_error_naming_it() {
    let w = World::start().await;
    let routers = given(w.blue_green(), &[preview("aaa", "bbb")]).await;
    w.edit(
        "web-preview",
        json!({"metadata": {"annotations": {"serin.dev/traffic": "{oops"}}}),
    );

    let err = routers.read_back().await.expect_err("unreadable");

    assert!(
        err.to_string().starts_with(
            "service: Service default/web-preview: annotation serin.dev/traffic is not a traffic"
        ),
        "{err}"
    );
}

fn header_route() -> HeaderRoute {
    serde_json::from_value(json!({
        "name": "beta",
        "match": [{"headerName": "x-beta", "headerValue": {"exact": "1"}}],
    }))
    .expect("a valid header route")
}
