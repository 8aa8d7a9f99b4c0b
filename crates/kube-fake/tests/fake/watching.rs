//! Watches: from a resourceVersion, bookmarks, 410 Gone, timeouts, and the
//! kube-runtime `watcher` seeing changes and recovering from 410 by relisting.

use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams, WatchEvent, WatchParams};
use kube::runtime::watcher;
use serde_json::json;
use serin_kube_fake::{FakeApiServer, FakeOptions, Verb};
use tokio::sync::mpsc;

fn config_map(name: &str, tier: &str) -> ConfigMap {
    serde_json::from_value(json!({"metadata": {"name": name, "labels": {"tier": tier}}}))
        .expect("config map")
}

async fn next<T>(rx: &mut mpsc::UnboundedReceiver<T>, what: &str) -> T {
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
        .unwrap_or_else(|| panic!("stream ended before {what}"))
}

fn name_of(cm: &ConfigMap) -> &str {
    cm.metadata.name.as_deref().unwrap_or("")
}

#[tokio::test]
async fn watch_from_a_resource_version_sends_only_later_events_in_order() {
    let (_fake, client) = FakeApiServer::start().await.expect("start");
    let cms: Api<ConfigMap> = Api::namespaced(client, "default");
    let a = cms
        .create(&PostParams::default(), &config_map("a", "x"))
        .await
        .expect("a");
    let rv = a.metadata.resource_version.clone().expect("rv");
    let patch = json!({"data": {"k": "v"}});
    cms.patch("a", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .expect("modify");
    cms.create(&PostParams::default(), &config_map("b", "x"))
        .await
        .expect("b");
    let mut stream = cms
        .watch(&WatchParams::default(), &rv)
        .await
        .expect("watch")
        .boxed();
    let mut seen = Vec::new();
    for _ in 0..2 {
        match stream.try_next().await.expect("event").expect("open") {
            WatchEvent::Added(o) => seen.push(format!("ADDED {}", name_of(&o))),
            WatchEvent::Modified(o) => seen.push(format!("MODIFIED {}", name_of(&o))),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(seen, ["MODIFIED a", "ADDED b"]);
    cms.delete("b", &DeleteParams::default())
        .await
        .expect("delete");
    match stream.try_next().await.expect("event").expect("open") {
        WatchEvent::Deleted(o) => assert_eq!(name_of(&o), "b"),
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn watch_filters_by_label_selector() {
    let (_fake, client) = FakeApiServer::start().await.expect("start");
    let cms: Api<ConfigMap> = Api::namespaced(client, "default");
    let params = WatchParams::default().labels("tier=front");
    let mut stream = cms.watch(&params, "0").await.expect("watch").boxed();
    cms.create(&PostParams::default(), &config_map("back", "back"))
        .await
        .expect("back");
    cms.create(&PostParams::default(), &config_map("front", "front"))
        .await
        .expect("front");
    match stream.try_next().await.expect("event").expect("open") {
        WatchEvent::Added(o) => assert_eq!(name_of(&o), "front"),
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn watch_with_bookmarks_receives_periodic_bookmarks_at_the_latest_version() {
    let options = FakeOptions {
        bookmark_interval: Duration::from_millis(20),
        ..FakeOptions::default()
    };
    let (fake, client) = FakeApiServer::start_with(options).await.expect("start");
    let cms: Api<ConfigMap> = Api::namespaced(client, "default");
    let mut stream = cms
        .watch(&WatchParams::default(), "0")
        .await
        .expect("watch")
        .boxed();
    // A write to another kind moves the global version; the bookmark carries it.
    let leases: Api<Lease> = Api::namespaced(fake.client().expect("client"), "default");
    let lease: Lease = serde_json::from_value(json!({"metadata": {"name": "l"}})).expect("lease");
    leases
        .create(&PostParams::default(), &lease)
        .await
        .expect("lease");
    let latest = fake.resource_version();
    loop {
        let event = tokio::time::timeout(Duration::from_secs(5), stream.try_next())
            .await
            .expect("a bookmark in time")
            .expect("event")
            .expect("open");
        if let WatchEvent::Bookmark(b) = event {
            let rv: u64 = b.metadata.resource_version.parse().expect("numeric");
            if rv >= latest {
                break;
            }
        }
    }
}

#[tokio::test]
async fn watch_from_a_compacted_version_gets_410_expired() {
    let (fake, client) = FakeApiServer::start().await.expect("start");
    let cms: Api<ConfigMap> = Api::namespaced(client, "default");
    let a = cms
        .create(&PostParams::default(), &config_map("a", "x"))
        .await
        .expect("a");
    cms.create(&PostParams::default(), &config_map("b", "x"))
        .await
        .expect("b");
    fake.compact();
    let old = a.metadata.resource_version.expect("rv");
    let mut stream = cms
        .watch(&WatchParams::default(), &old)
        .await
        .expect("watch")
        .boxed();
    match stream.try_next().await.expect("event").expect("open") {
        WatchEvent::Error(e) => {
            assert_eq!(e.code, 410);
            assert_eq!(e.reason, "Expired");
        }
        other => panic!("expected 410, got {other:?}"),
    }
}

#[tokio::test]
async fn watch_ends_after_timeout_seconds() {
    let (_fake, client) = FakeApiServer::start().await.expect("start");
    let cms: Api<ConfigMap> = Api::namespaced(client, "default");
    let mut stream = cms
        .watch(&WatchParams::default().timeout(1), "0")
        .await
        .expect("watch")
        .boxed();
    let end = tokio::time::timeout(Duration::from_secs(5), stream.try_next())
        .await
        .expect("the server ends the watch");
    assert!(matches!(end, Ok(None)), "{end:?}");
}

#[tokio::test]
async fn runtime_watcher_sees_add_modify_delete_and_relists_after_410() {
    let options = FakeOptions {
        event_log_capacity: 3,
        ..FakeOptions::default()
    };
    let (fake, client) = FakeApiServer::start_with(options).await.expect("start");
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut events = watcher(cms.clone(), watcher::Config::default()).boxed();
    let forward = tokio::spawn(async move {
        while let Some(e) = events.next().await {
            if tx.send(e.map_err(|err| err.to_string())).is_err() {
                return;
            }
        }
    });
    let mut expect = async |what: &str, want: &dyn Fn(&watcher::Event<ConfigMap>) -> bool| loop {
        match next(&mut rx, what).await {
            Ok(e) if want(&e) => return,
            _ => continue,
        }
    };
    expect("initial list", &|e| matches!(e, watcher::Event::InitDone)).await;

    cms.create(&PostParams::default(), &config_map("a", "x"))
        .await
        .expect("create");
    expect(
        "add",
        &|e| matches!(e, watcher::Event::Apply(o) if name_of(o) == "a"),
    )
    .await;
    let patch = json!({"data": {"k": "v"}});
    cms.patch("a", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .expect("patch");
    expect("modify", &|e| {
        matches!(e, watcher::Event::Apply(o) if o.data.as_ref().is_some_and(|d| d.contains_key("k")))
    })
    .await;
    cms.delete("a", &DeleteParams::default())
        .await
        .expect("delete");
    expect(
        "delete",
        &|e| matches!(e, watcher::Event::Delete(o) if name_of(o) == "a"),
    )
    .await;

    // Writes the watcher does not see push its version out of the log.
    let leases: Api<Lease> = Api::namespaced(client, "default");
    for i in 0..5 {
        let lease: Lease =
            serde_json::from_value(json!({"metadata": {"name": format!("l{i}")}})).expect("lease");
        leases
            .create(&PostParams::default(), &lease)
            .await
            .expect("lease");
    }
    let lists_before = fake.request_count(Verb::List, "/api/v1/namespaces/default/configmaps");
    fake.disconnect_watches();
    expect("a relist after 410", &|e| {
        matches!(e, watcher::Event::InitDone)
    })
    .await;
    assert_eq!(
        fake.request_count(Verb::List, "/api/v1/namespaces/default/configmaps"),
        lists_before + 1
    );
    cms.create(&PostParams::default(), &config_map("b", "x"))
        .await
        .expect("create");
    expect(
        "add after relist",
        &|e| matches!(e, watcher::Event::Apply(o) if name_of(o) == "b"),
    )
    .await;
    forward.abort();
}

#[tokio::test]
async fn an_object_entering_or_leaving_a_watched_selection_is_added_or_deleted() {
    let (_fake, client) = FakeApiServer::start().await.expect("start");
    let cms: Api<ConfigMap> = Api::namespaced(client, "default");
    cms.create(&PostParams::default(), &config_map("a", "back"))
        .await
        .expect("create");
    let params = WatchParams::default().labels("tier=front");
    let mut stream = cms.watch(&params, "0").await.expect("watch").boxed();
    let relabel = |tier: &str| json!({"metadata": {"labels": {"tier": tier}}});
    cms.patch(
        "a",
        &PatchParams::default(),
        &Patch::Merge(&relabel("front")),
    )
    .await
    .expect("into the selection");
    match stream.try_next().await.expect("event").expect("open") {
        WatchEvent::Added(o) => assert_eq!(name_of(&o), "a"),
        other => panic!("expected ADDED, got {other:?}"),
    }
    cms.patch(
        "a",
        &PatchParams::default(),
        &Patch::Merge(&relabel("back")),
    )
    .await
    .expect("out of the selection");
    match stream.try_next().await.expect("event").expect("open") {
        WatchEvent::Deleted(o) => assert_eq!(name_of(&o), "a"),
        other => panic!("expected DELETED, got {other:?}"),
    }
}

#[tokio::test]
async fn runtime_watcher_with_streaming_lists_gets_initial_events_then_changes() {
    let (_fake, client) = FakeApiServer::start().await.expect("start");
    let cms: Api<ConfigMap> = Api::namespaced(client, "default");
    cms.create(&PostParams::default(), &config_map("before", "x"))
        .await
        .expect("create");
    let mut events = watcher(cms.clone(), watcher::Config::default().streaming_lists()).boxed();
    let mut initial = Vec::new();
    loop {
        let event = tokio::time::timeout(Duration::from_secs(5), events.try_next())
            .await
            .expect("in time")
            .expect("no error")
            .expect("open");
        match event {
            watcher::Event::InitApply(o) => initial.push(name_of(&o).to_string()),
            watcher::Event::InitDone => break,
            _ => {}
        }
    }
    assert_eq!(initial, ["before"]);
    cms.create(&PostParams::default(), &config_map("after", "x"))
        .await
        .expect("create");
    let event = tokio::time::timeout(Duration::from_secs(5), events.try_next())
        .await
        .expect("in time")
        .expect("no error")
        .expect("open");
    assert!(matches!(event, watcher::Event::Apply(o) if name_of(&o) == "after"));
}

#[tokio::test]
async fn metadata_watcher_sees_changes_as_partial_object_metadata() {
    let (_fake, client) = FakeApiServer::start().await.expect("start");
    let cms: Api<ConfigMap> = Api::namespaced(client, "default");
    let metadata: Api<kube::core::PartialObjectMeta<ConfigMap>> =
        Api::namespaced(cms.clone().into_client(), "default");
    let mut events = watcher(metadata, watcher::Config::default()).boxed();
    loop {
        let event = tokio::time::timeout(Duration::from_secs(5), events.try_next())
            .await
            .expect("in time")
            .expect("no error")
            .expect("open");
        if matches!(event, watcher::Event::InitDone) {
            break;
        }
    }
    cms.create(&PostParams::default(), &config_map("m", "x"))
        .await
        .expect("create");
    let event = tokio::time::timeout(Duration::from_secs(5), events.try_next())
        .await
        .expect("in time")
        .expect("no error")
        .expect("open");
    match event {
        watcher::Event::Apply(o) => {
            assert_eq!(o.metadata.name.as_deref(), Some("m"));
            assert_eq!(
                o.types.map(|t| t.kind),
                Some("PartialObjectMetadata".into())
            );
        }
        other => panic!("unexpected {other:?}"),
    }
}
