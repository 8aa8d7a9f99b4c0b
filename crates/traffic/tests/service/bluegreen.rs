//! Blue-green: `activeService` on the stable revision, `previewService` on
//! the preview; the exact objects written at each stage of a release.

use serde_json::json;
use serin_api::k8s::POD_TEMPLATE_HASH_LABEL as HASH;

use crate::support::{World, given, preview, stable};

#[tokio::test]
async fn a_preview_points_active_at_stable_and_preview_at_the_new_revision() {
    let w = World::start().await;
    w.blue_green()
        .apply(&preview("aaa", "bbb"))
        .await
        .expect("applied");

    assert_eq!(
        w.selector("web-active"),
        json!({"app": "web", "tier": "front", HASH: "aaa"})
    );
    assert_eq!(
        w.annotations("web-active"),
        json!({
            "team": "shop",
            "serin.dev/original": {"app": "web", "tier": "front"},
            "serin.dev/traffic": {"stable": "aaa", "preview": "bbb", "canaryWeight": 0},
        })
    );
    assert_eq!(
        w.selector("web-preview"),
        json!({"app": "web", "tier": "front", HASH: "bbb"})
    );
    assert_eq!(
        w.annotations("web-preview"),
        json!({
            "serin.dev/original": {"app": "web", "tier": "front"},
            "serin.dev/traffic": {"stable": "aaa", "preview": "bbb", "canaryWeight": 0},
        })
    );
}

#[tokio::test]
async fn the_switch_moves_active_to_the_new_revision_and_keeps_the_first_original() {
    let w = World::start().await;
    let routers = given(w.blue_green(), &[stable("aaa")]).await;
    routers
        .apply(&preview("aaa", "bbb"))
        .await
        .expect("preview");
    routers.apply(&preview("bbb", "bbb")).await.expect("switch");

    assert_eq!(
        w.selector("web-active"),
        json!({"app": "web", "tier": "front", HASH: "bbb"})
    );
    assert_eq!(
        w.annotations("web-active"),
        json!({
            "team": "shop",
            "serin.dev/original": {"app": "web", "tier": "front"},
            "serin.dev/traffic": {"stable": "bbb", "preview": "bbb", "canaryWeight": 0},
        })
    );
    assert_eq!(w.selector("web-preview")[HASH], "bbb");
}

#[tokio::test]
async fn without_a_preview_the_preview_service_shows_stable() {
    let w = World::start().await;
    w.blue_green().apply(&stable("aaa")).await.expect("applied");

    assert_eq!(w.selector("web-active")[HASH], "aaa");
    assert_eq!(w.selector("web-preview")[HASH], "aaa");
}

#[tokio::test]
async fn a_switch_never_leaves_a_selector_without_the_app_labels() {
    let w = World::start().await;
    let release = [
        stable("aaa"),
        preview("aaa", "bbb"),
        preview("bbb", "bbb"),
        preview("aaa", "aaa"),
    ];
    let routers = given(w.blue_green(), &release).await;
    routers.restore().await.expect("restored");

    for name in ["web-active", "web-preview"] {
        let history = w.history(name);
        assert!(history.len() >= 4, "{name}: {} states", history.len());
        for change in history {
            let selector = &change.object["spec"]["selector"];
            assert_eq!(
                (&selector["app"], &selector["tier"]),
                (&json!("web"), &json!("front")),
                "{name} at resourceVersion {}: {selector}",
                change.resource_version
            );
            let revision = &selector[HASH];
            assert!(
                revision.is_null() || ["aaa", "bbb"].contains(&revision.as_str().unwrap_or("")),
                "{name} at resourceVersion {}: {selector}",
                change.resource_version
            );
        }
    }
}

#[tokio::test]
async fn an_abort_after_the_switch_moves_active_back_before_preview() {
    let w = World::start().await;
    let routers = given(w.blue_green(), &[preview("bbb", "bbb")]).await;
    let before = w.fake.resource_version();

    routers
        .apply(&preview("aaa", "aaa"))
        .await
        .expect("aborted");

    let moved: Vec<(u64, String)> = w
        .fake
        .history()
        .into_iter()
        .filter(|c| c.resource_version > before)
        .map(|c| (c.resource_version, c.name))
        .collect();
    let names: Vec<&str> = moved.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(names, ["web-active", "web-preview"], "{moved:?}");
    assert_eq!(w.selector("web-active")[HASH], "aaa");
    assert_eq!(w.selector("web-preview")[HASH], "aaa");
}
