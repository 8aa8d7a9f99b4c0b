//! Merge, JSON, strategic merge and apply patches, on the main resource,
//! `/status` and `/scale`.

use k8s_openapi::api::apps::v1::ReplicaSet;
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::json;
use serin_kube_fake::FakeApiServer;

use crate::support::replicaset;

async fn setup() -> (serin_kube_fake::FakeHandle, Api<ReplicaSet>) {
    let (fake, client) = FakeApiServer::start().await.expect("start");
    let rs: Api<ReplicaSet> = Api::namespaced(client, "default");
    rs.create(&PostParams::default(), &replicaset("web", 1))
        .await
        .expect("create");
    (fake, rs)
}

#[tokio::test]
async fn merge_patch_changes_fields_and_null_removes_them() {
    let (_fake, rs) = setup().await;
    let patch = json!({"metadata": {"labels": {"app": null, "new": "x"}}, "spec": {"replicas": 3}});
    let out = rs
        .patch("web", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .expect("patch");
    assert_eq!(out.spec.expect("spec").replicas, Some(3));
    let labels = out.metadata.labels.expect("labels");
    assert_eq!(labels.get("new").map(String::as_str), Some("x"));
    assert!(!labels.contains_key("app"));
    assert_eq!(out.metadata.generation, Some(2));
}

#[tokio::test]
async fn merge_patch_with_a_stale_resource_version_is_409_conflict() {
    let (_fake, rs) = setup().await;
    let patch = json!({"metadata": {"resourceVersion": "1"}, "spec": {"replicas": 3}});
    let err = rs
        .patch("web", &PatchParams::default(), &Patch::Merge(&patch))
        .await;
    assert!(matches!(err, Err(kube::Error::Api(s)) if s.code == 409));
}

#[tokio::test]
async fn json_patch_applies_rfc_6902_operations_and_a_failed_test_changes_nothing() {
    let (_fake, rs) = setup().await;
    let ops: json_patch::Patch = serde_json::from_value(json!([
        {"op": "test", "path": "/spec/replicas", "value": 1},
        {"op": "replace", "path": "/spec/replicas", "value": 4},
        {"op": "add", "path": "/metadata/annotations", "value": {"a": "b"}},
    ]))
    .expect("ops");
    let out = rs
        .patch("web", &PatchParams::default(), &Patch::<()>::Json(ops))
        .await
        .expect("patch");
    assert_eq!(out.spec.expect("spec").replicas, Some(4));
    let failing: json_patch::Patch = serde_json::from_value(json!([
        {"op": "test", "path": "/spec/replicas", "value": 1},
        {"op": "replace", "path": "/spec/replicas", "value": 9},
    ]))
    .expect("ops");
    let err = rs
        .patch("web", &PatchParams::default(), &Patch::<()>::Json(failing))
        .await;
    assert!(matches!(err, Err(kube::Error::Api(s)) if s.code == 422));
    assert_eq!(
        rs.get("web")
            .await
            .expect("get")
            .spec
            .expect("spec")
            .replicas,
        Some(4)
    );
}

#[tokio::test]
async fn strategic_merge_patch_is_applied_as_a_merge_patch() {
    let (_fake, rs) = setup().await;
    let patch = json!({"spec": {"minReadySeconds": 5}});
    let out = rs
        .patch("web", &PatchParams::default(), &Patch::Strategic(&patch))
        .await
        .expect("patch");
    assert_eq!(out.spec.expect("spec").min_ready_seconds, Some(5));
}

#[tokio::test]
async fn apply_patch_creates_when_absent_and_needs_a_field_manager() {
    let (_fake, rs) = setup().await;
    let params = PatchParams::apply("serin");
    let created = rs
        .patch("applied", &params, &Patch::Apply(&replicaset("applied", 2)))
        .await
        .expect("create");
    assert_eq!(created.metadata.generation, Some(1));
    let managers = created.metadata.managed_fields.expect("managed fields");
    assert_eq!(managers[0].manager.as_deref(), Some("serin"));
    assert_eq!(managers[0].operation.as_deref(), Some("Apply"));
    let no_manager = rs
        .patch(
            "applied",
            &PatchParams::default(),
            &Patch::Apply(&replicaset("applied", 2)),
        )
        .await;
    assert!(matches!(no_manager, Err(kube::Error::Api(s)) if s.code == 400));
}

#[tokio::test]
async fn apply_removes_what_the_same_manager_stops_applying_and_keeps_what_others_own() {
    let (_fake, rs) = setup().await;
    let serin = PatchParams::apply("serin");
    let mut desired = replicaset("applied", 2);
    desired.metadata.annotations =
        Some([("a".into(), "1".into()), ("b".into(), "2".into())].into());
    rs.patch("applied", &serin, &Patch::Apply(&desired))
        .await
        .expect("first");
    let other = json!({
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": "applied", "annotations": {"b": "2"}},
    });
    rs.patch(
        "applied",
        &PatchParams::apply("other"),
        &Patch::Apply(&other),
    )
    .await
    .expect("other");
    desired.metadata.annotations = None;
    let out = rs
        .patch("applied", &serin, &Patch::Apply(&desired))
        .await
        .expect("second");
    let annotations = out.metadata.annotations.unwrap_or_default();
    assert!(
        !annotations.contains_key("a"),
        "serin's own field is removed"
    );
    assert_eq!(
        annotations.get("b").map(String::as_str),
        Some("2"),
        "other still owns b"
    );
    assert_eq!(out.spec.expect("spec").replicas, Some(2));
}

#[tokio::test]
async fn apply_of_a_field_another_manager_owns_is_409_unless_forced() {
    let (_fake, rs) = setup().await;
    rs.patch(
        "applied",
        &PatchParams::apply("serin"),
        &Patch::Apply(&replicaset("applied", 2)),
    )
    .await
    .expect("serin");
    let scale = json!({
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": "applied"}, "spec": {"replicas": 5},
    });
    let err = rs
        .patch("applied", &PatchParams::apply("hpa"), &Patch::Apply(&scale))
        .await;
    assert!(
        matches!(err, Err(kube::Error::Api(s)) if s.code == 409 && s.message.contains("serin"))
    );
    let forced = rs
        .patch(
            "applied",
            &PatchParams::apply("hpa").force(),
            &Patch::Apply(&scale),
        )
        .await
        .expect("forced");
    assert_eq!(forced.spec.expect("spec").replicas, Some(5));
}

#[tokio::test]
async fn patch_status_changes_status_only_and_patch_of_main_never_touches_status() {
    let (_fake, rs) = setup().await;
    let patch = json!({"spec": {"replicas": 8}, "status": {"replicas": 1, "readyReplicas": 1}});
    let out = rs
        .patch_status("web", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .expect("status");
    assert_eq!(out.spec.as_ref().expect("spec").replicas, Some(1));
    assert_eq!(out.status.as_ref().expect("status").ready_replicas, Some(1));
    assert_eq!(out.metadata.generation, Some(1));
    let main = json!({"status": {"readyReplicas": 0}});
    let out = rs
        .patch("web", &PatchParams::default(), &Patch::Merge(&main))
        .await
        .expect("main");
    assert_eq!(out.status.expect("status").ready_replicas, Some(1));
}

#[tokio::test]
async fn scale_subresource_reads_and_writes_spec_replicas() {
    let (_fake, rs) = setup().await;
    let scale = rs.get_scale("web").await.expect("get scale");
    assert_eq!(scale.spec.expect("spec").replicas, Some(1));
    assert_eq!(
        scale.status.expect("status").selector.as_deref(),
        Some("app=web")
    );
    let patch = json!({"spec": {"replicas": 6}});
    let out = rs
        .patch_scale("web", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .expect("patch");
    assert_eq!(out.spec.expect("spec").replicas, Some(6));
    assert_eq!(
        rs.get("web")
            .await
            .expect("get")
            .spec
            .expect("spec")
            .replicas,
        Some(6)
    );
}
