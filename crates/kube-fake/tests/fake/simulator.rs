//! The ReplicaSet simulator: pods made and removed to match `spec.replicas`,
//! ready after a simulated delay, crash-looping on request; the ReplicaSet's
//! status kept up to date.

use std::time::Duration;

use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde_json::json;
use serin_kube_fake::{CRASH_MARKER, FakeApiServer, FakeHandle, FakeOptions};

use crate::support::replicaset;

async fn simulated(ready_after: Duration) -> (FakeHandle, kube::Client) {
    let options = FakeOptions {
        replicaset_simulator: Some(ready_after),
        ..FakeOptions::default()
    };
    FakeApiServer::start_with(options).await.expect("start")
}

fn ready(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

#[tokio::test]
async fn replicaset_pods_become_ready_after_the_simulated_delay() {
    let (fake, client) = simulated(Duration::from_secs(10)).await;
    let rs: Api<ReplicaSet> = Api::namespaced(client.clone(), "default");
    let pods: Api<Pod> = Api::namespaced(client, "default");
    rs.create(&PostParams::default(), &replicaset("web", 3))
        .await
        .expect("create");

    let listed = pods
        .list(&ListParams::default().labels("app=web"))
        .await
        .expect("pods");
    assert_eq!(listed.items.len(), 3);
    assert!(listed.items.iter().all(|p| !ready(p)));
    for pod in &listed.items {
        let owner = &pod.metadata.owner_references.as_ref().expect("owned")[0];
        assert_eq!(
            (owner.kind.as_str(), owner.name.as_str()),
            ("ReplicaSet", "web")
        );
        assert_eq!(owner.controller, Some(true));
    }
    let status = rs.get("web").await.expect("get").status.expect("status");
    assert_eq!((status.replicas, status.ready_replicas), (3, Some(0)));
    assert_eq!(status.observed_generation, Some(1));

    fake.advance(Duration::from_secs(9));
    let status = rs.get("web").await.expect("get").status.expect("status");
    assert_eq!(status.ready_replicas, Some(0), "not before the delay");
    fake.advance(Duration::from_secs(1));
    let status = rs.get("web").await.expect("get").status.expect("status");
    assert_eq!(
        (status.ready_replicas, status.available_replicas),
        (Some(3), Some(3))
    );
    let listed = pods
        .list(&ListParams::default().labels("app=web"))
        .await
        .expect("pods");
    assert!(listed.items.iter().all(ready));
}

#[tokio::test]
async fn scaling_a_replicaset_adds_and_removes_pods_and_tracks_observed_generation() {
    let (fake, client) = simulated(Duration::ZERO).await;
    let rs: Api<ReplicaSet> = Api::namespaced(client.clone(), "default");
    let pods: Api<Pod> = Api::namespaced(client, "default");
    rs.create(&PostParams::default(), &replicaset("web", 2))
        .await
        .expect("create");
    let patch = json!({"spec": {"replicas": 1}});
    rs.patch("web", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .expect("scale");
    let status = rs.get("web").await.expect("get").status.expect("status");
    assert_eq!((status.replicas, status.ready_replicas), (1, Some(1)));
    assert_eq!(status.observed_generation, Some(2));
    assert_eq!(
        pods.list(&ListParams::default())
            .await
            .expect("pods")
            .items
            .len(),
        1
    );
    // A deleted pod is replaced.
    let name = fake.objects("v1", "Pod")[0]["metadata"]["name"]
        .as_str()
        .expect("name")
        .to_string();
    pods.delete(&name, &DeleteParams::default())
        .await
        .expect("delete");
    let left = pods.list(&ListParams::default()).await.expect("pods").items;
    assert_eq!(left.len(), 1);
    assert_ne!(left[0].metadata.name.as_deref(), Some(name.as_str()));
    // Deleting the ReplicaSet deletes its pods.
    rs.delete("web", &DeleteParams::default())
        .await
        .expect("delete rs");
    assert!(
        pods.list(&ListParams::default())
            .await
            .expect("pods")
            .items
            .is_empty()
    );
}

fn crash_info(pod: &Pod) -> (Option<String>, i32) {
    let cs = &pod
        .status
        .as_ref()
        .expect("status")
        .container_statuses
        .as_ref()
        .expect("cs")[0];
    let reason = cs
        .state
        .as_ref()
        .and_then(|s| s.waiting.as_ref())
        .and_then(|w| w.reason.clone());
    (reason, cs.restart_count)
}

#[tokio::test]
async fn a_template_marked_to_crash_makes_pods_crash_loop_with_growing_restarts() {
    let (fake, client) = simulated(Duration::ZERO).await;
    let rs: Api<ReplicaSet> = Api::namespaced(client.clone(), "default");
    let pods: Api<Pod> = Api::namespaced(client, "default");
    let mut bad = replicaset("bad", 1);
    let template = bad
        .spec
        .as_mut()
        .expect("spec")
        .template
        .as_mut()
        .expect("template");
    template
        .metadata
        .get_or_insert_default()
        .annotations
        .get_or_insert_default()
        .insert(CRASH_MARKER.into(), "true".into());
    rs.create(&PostParams::default(), &bad)
        .await
        .expect("create");
    let pod = &pods.list(&ListParams::default()).await.expect("pods").items[0];
    let (reason, first) = crash_info(pod);
    assert_eq!(reason.as_deref(), Some("CrashLoopBackOff"));
    assert!(!ready(pod));
    fake.advance(Duration::from_secs(30));
    let pod = &pods.list(&ListParams::default()).await.expect("pods").items[0];
    assert!(crash_info(pod).1 > first, "restartCount grows with time");
    let status = rs.get("bad").await.expect("get").status.expect("status");
    assert_eq!((status.replicas, status.ready_replicas), (1, Some(0)));
}

#[tokio::test]
async fn the_handle_can_make_a_healthy_replicaset_crash_loop_and_recover() {
    let (fake, client) = simulated(Duration::ZERO).await;
    let rs: Api<ReplicaSet> = Api::namespaced(client, "default");
    rs.create(&PostParams::default(), &replicaset("web", 2))
        .await
        .expect("create");
    assert_eq!(
        rs.get("web")
            .await
            .expect("get")
            .status
            .expect("s")
            .ready_replicas,
        Some(2)
    );
    fake.set_crashing("default", "web", true);
    assert_eq!(
        rs.get("web")
            .await
            .expect("get")
            .status
            .expect("s")
            .ready_replicas,
        Some(0)
    );
    fake.set_crashing("default", "web", false);
    assert_eq!(
        rs.get("web")
            .await
            .expect("get")
            .status
            .expect("s")
            .ready_replicas,
        Some(2)
    );
}

#[tokio::test]
async fn pods_count_as_available_only_after_min_ready_seconds() {
    let (fake, client) = simulated(Duration::from_secs(5)).await;
    let rs: Api<ReplicaSet> = Api::namespaced(client, "default");
    let mut slow = replicaset("web", 2);
    slow.spec.as_mut().expect("spec").min_ready_seconds = Some(20);
    rs.create(&PostParams::default(), &slow)
        .await
        .expect("create");
    fake.advance(Duration::from_secs(5));
    let status = rs.get("web").await.expect("get").status.expect("status");
    assert_eq!(
        (status.ready_replicas, status.available_replicas),
        (Some(2), Some(0))
    );
    fake.advance(Duration::from_secs(20));
    let status = rs.get("web").await.expect("get").status.expect("status");
    assert_eq!(status.available_replicas, Some(2));
}

#[tokio::test]
async fn a_deployment_runs_through_one_replicaset_per_template_and_sums_their_status() {
    use k8s_openapi::api::apps::v1::Deployment;
    let (fake, client) = simulated(Duration::from_secs(5)).await;
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), "default");
    let rs: Api<ReplicaSet> = Api::namespaced(client, "default");
    let deployment: Deployment = serde_json::from_value(json!({
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "main", "image": "demo:1"}]},
            },
        },
    }))
    .expect("deployment");
    deployments
        .create(&PostParams::default(), &deployment)
        .await
        .expect("create");
    let first = rs.list(&ListParams::default()).await.expect("list").items;
    assert_eq!(first.len(), 1);
    let first_name = first[0].metadata.name.clone().expect("name");
    assert!(first_name.starts_with("web-"));
    fake.advance(Duration::from_secs(5));
    let status = deployments
        .get("web")
        .await
        .expect("get")
        .status
        .expect("status");
    assert_eq!(
        (status.ready_replicas, status.updated_replicas),
        (Some(2), Some(2))
    );

    // A new template: a second ReplicaSet takes the replicas, the first goes to zero.
    let image = json!({"spec": {"template": {"spec": {"containers": [{"name": "main", "image": "demo:2"}]}}}});
    deployments
        .patch("web", &PatchParams::default(), &Patch::Merge(&image))
        .await
        .expect("new template");
    let sets = rs.list(&ListParams::default()).await.expect("list").items;
    assert_eq!(sets.len(), 2);
    let old = sets
        .iter()
        .find(|s| s.metadata.name.as_deref() == Some(&first_name))
        .expect("old");
    assert_eq!(old.spec.as_ref().expect("spec").replicas, Some(0));
    let status = deployments
        .get("web")
        .await
        .expect("get")
        .status
        .expect("status");
    assert_eq!(
        (status.ready_replicas, status.updated_replicas),
        (Some(0), Some(2))
    );
    fake.advance(Duration::from_secs(5));
    let status = deployments
        .get("web")
        .await
        .expect("get")
        .status
        .expect("status");
    assert_eq!(status.available_replicas, Some(2));
    assert_eq!(status.observed_generation, Some(2));
}
