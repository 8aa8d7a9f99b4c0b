//! Canary: `stableService` on the stable revision, `canaryService` on the
//! canary; an abort sends both to stable; the same traffic twice writes
//! nothing.

use serde_json::json;
use serin_api::k8s::POD_TEMPLATE_HASH_LABEL as HASH;
use serin_kube_fake::Verb;

use crate::support::{World, canary, given, stable};

#[tokio::test]
async fn a_canary_points_each_service_at_its_arm() {
    let w = World::start().await;
    w.canary()
        .apply(&canary("aaa", "bbb", 20))
        .await
        .expect("applied");

    assert_eq!(w.selector("web-stable"), json!({"app": "web", HASH: "aaa"}));
    assert_eq!(
        w.annotations("web-stable"),
        json!({
            "serin.dev/original": {"app": "web"},
            "serin.dev/traffic": {"stable": "aaa", "canary": "bbb", "canaryWeight": 20},
        })
    );
    assert_eq!(
        w.service("web-stable")["metadata"]["labels"],
        json!({"app": "web"})
    );
    assert_eq!(w.selector("web-canary"), json!({"app": "web", HASH: "bbb"}));
    assert_eq!(
        w.annotations("web-canary"),
        json!({
            "owner": "ana",
            "serin.dev/original": {"app": "web"},
            "serin.dev/traffic": {"stable": "aaa", "canary": "bbb", "canaryWeight": 20},
        })
    );
}

#[tokio::test]
async fn an_abort_sends_both_services_to_stable() {
    let w = World::start().await;
    let routers = given(w.canary(), &[canary("aaa", "bbb", 50)]).await;

    routers.apply(&stable("aaa")).await.expect("aborted");

    assert_eq!(w.selector("web-stable"), json!({"app": "web", HASH: "aaa"}));
    assert_eq!(w.selector("web-canary"), json!({"app": "web", HASH: "aaa"}));
    for name in ["web-stable", "web-canary"] {
        assert_eq!(
            w.annotations(name)["serin.dev/traffic"],
            json!({"stable": "aaa", "canaryWeight": 0}),
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_promotion_moves_the_stable_service_and_leaves_the_canary_selector() {
    let w = World::start().await;
    let routers = given(w.canary(), &[canary("aaa", "bbb", 100)]).await;
    let canary_states = w.history("web-canary").len();

    routers.apply(&stable("bbb")).await.expect("promoted");

    assert_eq!(w.selector("web-stable"), json!({"app": "web", HASH: "bbb"}));
    let changes = w.history("web-canary");
    assert_eq!(
        changes.len(),
        canary_states + 1,
        "one write: the annotation"
    );
    let last = &changes[canary_states].object;
    assert_eq!(last["spec"]["selector"], json!({"app": "web", HASH: "bbb"}));
    assert_eq!(
        w.annotations("web-canary")["serin.dev/traffic"],
        json!({"stable": "bbb", "canaryWeight": 0})
    );
}

#[tokio::test]
async fn a_weight_change_rewrites_the_annotation_only() {
    let w = World::start().await;
    let routers = w.canary();
    routers.apply(&canary("aaa", "bbb", 20)).await.expect("20");
    routers.apply(&canary("aaa", "bbb", 40)).await.expect("40");

    let last = w.history("web-canary").pop().expect("written");
    assert_eq!(
        last.object["spec"]["selector"],
        json!({"app": "web", HASH: "bbb"})
    );
    assert_eq!(
        w.annotations("web-canary")["serin.dev/traffic"]["canaryWeight"],
        40
    );
}

#[tokio::test]
async fn applying_the_same_traffic_again_writes_nothing() {
    let w = World::start().await;
    let routers = w.canary();
    let traffic = canary("aaa", "bbb", 20);
    routers.apply(&traffic).await.expect("first");
    let versions = (
        w.resource_version("web-stable"),
        w.resource_version("web-canary"),
    );
    let global = w.fake.resource_version();
    let patches = w.requests_to_services(Verb::Patch);

    routers.apply(&traffic).await.expect("again");

    assert_eq!(
        (
            w.resource_version("web-stable"),
            w.resource_version("web-canary")
        ),
        versions
    );
    assert_eq!(w.fake.resource_version(), global);
    assert_eq!(
        w.requests_to_services(Verb::Patch),
        patches,
        "no request to write"
    );
}
