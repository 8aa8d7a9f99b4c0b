//! The workload side: a `workloadRef` Deployment scaled down once the
//! rollout is healthy or as its pods become available, `revisionHistoryLimit`,
//! and a ReplicaSet left without an owner adopted.

use std::time::Duration;

use k8s_openapi::api::apps::v1::ReplicaSet;
use kube::Api;
use serin_api::Command;
use serin_api::status::RolloutPhase;

use crate::support::{CANARY, World, eventually};

const WORKLOAD_REF: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: 3
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: app, image: "api:1"}]}
---
apiVersion: serin.dev/v1alpha1
kind: Rollout
metadata: {name: api}
spec:
  replicas: 3
  selector: {matchLabels: {app: api}}
  workloadRef: {apiVersion: apps/v1, kind: Deployment, name: api, scaleDown: onsuccess}
  strategy:
    canary:
      steps: [{setWeight: 50}, {pause: {}}]
"#;

fn deployment_replicas(w: &World, name: &str) -> Option<i64> {
    w.fake
        .object("apps/v1", "Deployment", Some("default"), name)?
        .pointer("/spec/replicas")?
        .as_i64()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workload_ref_deployment_is_scaled_down_once_the_rollout_is_healthy() {
    // Given a Deployment of 3 and a Rollout pointing at it
    let mut w = World::new().await;
    w.apply(WORKLOAD_REF);
    w.start_controller();

    // Then the rollout runs the Deployment's template and, once healthy,
    // the Deployment goes to zero
    let s = w
        .wait_status("api", "healthy", |s| s.phase == Some(RolloutPhase::Healthy))
        .await;
    let v1 = s.stable_revision.expect("stable");
    assert_eq!(w.replicas_of("api", &v1).await, 3);
    eventually("the Deployment at zero", || async {
        (deployment_replicas(&w, "api") == Some(0)).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workload_ref_deployment_scaled_down_progressively_only_ever_shrinks() {
    // Given a Deployment of 3 and a Rollout pointing at it, scaleDown progressively
    let mut w = World::new().await;
    let before = w.fake.resource_version();
    w.apply(&WORKLOAD_REF.replace("scaleDown: onsuccess", "scaleDown: progressively"));
    w.start_controller();

    // Then the Deployment goes to zero as the rollout comes up, never growing on the way
    w.wait_status("api", "healthy", |s| s.phase == Some(RolloutPhase::Healthy))
        .await;
    eventually("the Deployment at zero", || async {
        (deployment_replicas(&w, "api") == Some(0)).then_some(())
    })
    .await;
    let sizes = w.numbers_since(before, "Deployment", "api", "/spec/replicas");
    assert!(sizes.windows(2).all(|p| p[0] >= p[1]), "{sizes:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_replica_sets_beyond_the_history_limit_are_deleted() {
    let mut w = World::new().await;
    w.apply(&CANARY.replace(
        "  replicas: 4\n",
        "  replicas: 4\n  revisionHistoryLimit: 1\n",
    ));
    w.start_controller();
    w.wait_status("web", "healthy", |s| s.phase == Some(RolloutPhase::Healthy))
        .await;
    for image in ["web:2", "web:3"] {
        w.set_image("web", image).await;
        w.wait_status("web", "released", |s| {
            s.current_revision != s.stable_revision
        })
        .await;
        w.command("web", Command::PromoteFull).await;
        w.wait_status("web", "promoted", |s| {
            s.phase == Some(RolloutPhase::Healthy) && s.current_revision == s.stable_revision
        })
        .await;
        w.advance(Duration::from_secs(60));
    }
    // web:3 serves; of the two idle ones only the newest is kept
    eventually("two ReplicaSets left", || async {
        let sets = w.replicas("web").await;
        (sets.len() == 2).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_set_of_the_rollout_left_without_an_owner_is_adopted() {
    // Given web:1 healthy, its ReplicaSet orphaned (as `kubectl delete --cascade=orphan` would leave it)
    let mut w = World::new().await;
    w.apply(CANARY);
    w.start_controller();
    let s = w
        .wait_status("web", "healthy", |s| s.phase == Some(RolloutPhase::Healthy))
        .await;
    let v1 = s.stable_revision.expect("stable");
    w.kill_controller();
    let name = format!("web-{v1}");
    w.fake
        .patch(
            "apps/v1",
            "ReplicaSet",
            Some("default"),
            &name,
            &serde_json::json!({"metadata": {"ownerReferences": null}, "spec": {"replicas": 2}}),
        )
        .expect("orphaned");

    // When the controller starts again, it takes the ReplicaSet back and sizes it
    w.start_controller();
    let sets: Api<ReplicaSet> = Api::namespaced(w.client.clone(), "default");
    eventually("adopted and sized", || async {
        let rs = sets.get(&name).await.ok()?;
        let owner = rs.metadata.owner_references.clone()?;
        let size = rs.spec.as_ref()?.replicas?;
        (owner.len() == 1 && owner[0].name == "web" && size == 4).then_some(())
    })
    .await;
    assert_eq!(w.replicas("web").await.len(), 1);
}
