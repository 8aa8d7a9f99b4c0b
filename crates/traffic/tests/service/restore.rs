//! Restore: every Service back exactly as it was before serin, apart from
//! the metadata the server owns; nothing sent for a Service serin never
//! wrote; a deleted Service skipped.

use serde_json::{Value, json};
use serin_kube_fake::Verb;

use crate::support::{NS, World, canary, given, preview, stable};

/// The object without the metadata the server owns.
fn as_written(mut object: Value) -> Value {
    if let Some(metadata) = object["metadata"].as_object_mut() {
        for owned in ["resourceVersion", "generation", "managedFields"] {
            metadata.remove(owned);
        }
    }
    object
}

#[tokio::test]
async fn restore_gives_each_blue_green_service_back_exactly_as_it_was() {
    let w = World::start().await;
    let names = ["web-active", "web-preview"];
    let before: Vec<Value> = names.iter().map(|n| as_written(w.service(n))).collect();
    let release = [stable("aaa"), preview("aaa", "bbb"), preview("bbb", "bbb")];
    let routers = given(w.blue_green(), &release).await;

    routers.restore().await.expect("restored");

    let after: Vec<Value> = names.iter().map(|n| as_written(w.service(n))).collect();
    assert_eq!(after, before);
    assert_eq!(routers.read_back().await.expect("read"), None);
}

#[tokio::test]
async fn restore_gives_each_canary_service_back_exactly_as_it_was() {
    let w = World::start().await;
    let names = ["web-stable", "web-canary"];
    let before: Vec<Value> = names.iter().map(|n| as_written(w.service(n))).collect();
    let routers = given(w.canary(), &[canary("aaa", "bbb", 10)]).await;
    routers.apply(&stable("bbb")).await.expect("promoted");

    routers.restore().await.expect("restored");

    let after: Vec<Value> = names.iter().map(|n| as_written(w.service(n))).collect();
    assert_eq!(after, before);
}

#[tokio::test]
async fn restore_keeps_what_others_changed_meanwhile() {
    let w = World::start().await;
    let routers = given(w.canary(), &[canary("aaa", "bbb", 10)]).await;
    w.edit(
        "web-canary",
        json!({"metadata": {"annotations": {"note": "kept"}}, "spec": {"selector": {"zone": "a"}}}),
    );

    routers.restore().await.expect("restored");

    assert_eq!(w.selector("web-canary"), json!({"app": "web", "zone": "a"}));
    assert_eq!(
        w.annotations("web-canary"),
        json!({"owner": "ana", "note": "kept"})
    );
}

#[tokio::test]
async fn restore_sends_nothing_for_services_serin_never_wrote() {
    let w = World::start().await;
    let before = w.fake.resource_version();

    w.blue_green().restore().await.expect("restored");

    assert_eq!(w.fake.resource_version(), before);
    assert_eq!(w.requests_to_services(Verb::Patch), 0);
}

#[tokio::test]
async fn restore_skips_a_service_deleted_since() {
    let w = World::start().await;
    let routers = given(w.blue_green(), &[preview("aaa", "bbb")]).await;
    w.fake
        .delete("v1", "Service", Some(NS), "web-preview")
        .expect("deleted");

    routers.restore().await.expect("restored what is left");

    assert_eq!(
        w.selector("web-active"),
        json!({"app": "web", "tier": "front"})
    );
}
