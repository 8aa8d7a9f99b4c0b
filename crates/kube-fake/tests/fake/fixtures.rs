//! Seeding the fake from YAML fixtures and writing to it directly, as
//! another actor would.

use std::time::Duration;

use k8s_openapi::api::apps::v1::ReplicaSet;
use kube::api::{Api, ListParams};
use serde_json::json;
use serin_kube_fake::{FakeApiServer, FakeOptions};

#[tokio::test]
async fn a_yaml_fixture_seeds_objects_with_their_status_and_the_simulator_runs_them() {
    let options = FakeOptions {
        replicaset_simulator: Some(Duration::ZERO),
        ..FakeOptions::default()
    };
    let (fake, client) = FakeApiServer::start_with(options).await.expect("start");
    let created = fake
        .load_yaml(include_str!("fixtures/rollout-mid-release.yaml"))
        .expect("load");
    assert_eq!(created.len(), 3);
    let rollout = fake
        .object("serin.dev/v1alpha1", "Rollout", Some("shop"), "web")
        .expect("rollout");
    assert_eq!(
        rollout["status"]["currentStepIndex"], 1,
        "the fixture's status is kept"
    );
    let rs: Api<ReplicaSet> = Api::namespaced(client, "shop");
    let canary = rs.get("web-canary").await.expect("canary");
    assert_eq!(canary.status.expect("status").ready_replicas, Some(1));
    let hashes = rs
        .list(&ListParams::default().labels("rollouts-pod-template-hash in (stable,canary)"))
        .await
        .expect("list");
    assert_eq!(hashes.items.len(), 2);
}

#[tokio::test]
async fn direct_writes_through_the_handle_are_seen_by_clients_and_the_simulator() {
    let options = FakeOptions {
        replicaset_simulator: Some(Duration::ZERO),
        ..FakeOptions::default()
    };
    let (fake, client) = FakeApiServer::start_with(options).await.expect("start");
    fake.load_yaml(include_str!("fixtures/rollout-mid-release.yaml"))
        .expect("load");
    fake.patch(
        "apps/v1",
        "ReplicaSet",
        Some("shop"),
        "web-canary",
        &json!({"spec": {"replicas": 2}}),
    )
    .expect("scale");
    fake.patch_status(
        "serin.dev/v1alpha1",
        "Rollout",
        Some("shop"),
        "web",
        &json!({"status": {"phase": "Progressing"}}),
    )
    .expect("status");
    let rs: Api<ReplicaSet> = Api::namespaced(client, "shop");
    assert_eq!(
        rs.get("web-canary")
            .await
            .expect("get")
            .status
            .expect("s")
            .ready_replicas,
        Some(2)
    );
    let rollout = fake
        .object("serin.dev/v1alpha1", "Rollout", Some("shop"), "web")
        .expect("rollout");
    assert_eq!(rollout["status"]["phase"], "Progressing");
    assert_eq!(
        rollout["metadata"]["generation"], 1,
        "a status write keeps generation"
    );
    fake.delete("apps/v1", "ReplicaSet", Some("shop"), "web-stable")
        .expect("delete");
    assert!(
        fake.objects("v1", "Pod")
            .iter()
            .all(|p| p["metadata"]["ownerReferences"][0]["name"] != "web-stable")
    );
}

#[tokio::test]
async fn a_thousand_replicasets_all_become_ready_and_go_with_their_pods() {
    let options = FakeOptions {
        replicaset_simulator: Some(Duration::from_secs(5)),
        ..FakeOptions::default()
    };
    let (fake, client) = FakeApiServer::start_with(options).await.expect("start");
    for i in 0..1000 {
        let rs = crate::support::replicaset(&format!("rs-{i}"), 2);
        let mut object = serde_json::to_value(rs).expect("json");
        object["metadata"]["namespace"] = json!("bulk");
        fake.create(Some("bulk"), object).expect("create");
    }
    assert_eq!(fake.objects("v1", "Pod").len(), 2000);
    fake.advance(Duration::from_secs(5));
    let rs: Api<ReplicaSet> = Api::namespaced(client, "bulk");
    let listed = rs.list(&ListParams::default()).await.expect("list");
    assert_eq!(listed.items.len(), 1000);
    assert!(
        listed
            .items
            .iter()
            .all(|r| r.status.as_ref().and_then(|s| s.ready_replicas) == Some(2))
    );
    for i in 0..1000 {
        fake.delete("apps/v1", "ReplicaSet", Some("bulk"), &format!("rs-{i}"))
            .expect("delete");
    }
    assert!(fake.objects("v1", "Pod").is_empty());
}

#[tokio::test]
async fn history_orders_changes_to_different_kinds_by_resource_version() {
    use k8s_openapi::api::core::v1::Service;
    use kube::api::{Patch, PatchParams, PostParams};
    use serin_kube_fake::EventType;
    let (fake, client) = FakeApiServer::start().await.expect("start");
    let services: Api<Service> = Api::namespaced(client.clone(), "default");
    let rs: Api<ReplicaSet> = Api::namespaced(client, "default");
    let svc: Service = serde_json::from_value(json!({
        "metadata": {"name": "web"},
        "spec": {"selector": {"hash": "canary"}, "ports": [{"port": 80}]},
    }))
    .expect("service");
    services
        .create(&PostParams::default(), &svc)
        .await
        .expect("service");
    rs.create(
        &PostParams::default(),
        &crate::support::replicaset("canary", 1),
    )
    .await
    .expect("rs");
    let to_stable = json!({"spec": {"selector": {"hash": "stable"}}});
    services
        .patch("web", &PatchParams::default(), &Patch::Merge(&to_stable))
        .await
        .expect("selector");
    let scale_down = json!({"spec": {"replicas": 0}});
    rs.patch(
        "canary",
        &PatchParams::default(),
        &Patch::Merge(&scale_down),
    )
    .await
    .expect("scale");

    let selector_moved = fake
        .history_of("Service", Some("default"), "web")
        .into_iter()
        .find(|c| c.kind == EventType::Modified && c.object["spec"]["selector"]["hash"] == "stable")
        .expect("the selector change");
    let scaled = fake
        .history_of("ReplicaSet", Some("default"), "canary")
        .into_iter()
        .find(|c| c.object["spec"]["replicas"] == 0)
        .expect("the scale-down");
    assert!(selector_moved.resource_version < scaled.resource_version);
    assert_eq!(fake.history().len(), 4);
}
