//! A small kube-runtime `Controller` over serin's own `Rollout` type, owning
//! ReplicaSets, run against the fake: what the real controller's tests will
//! look like. Given a Rollout, when the controller runs, then it creates the
//! ReplicaSet and reports Progressing; when the pods become ready, the owned
//! ReplicaSet's change wakes it and it reports Healthy.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::apps::v1::ReplicaSet;
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::watcher;
use kube::{Resource, ResourceExt};
use serde_json::json;
use serin_api::Rollout;
use serin_kube_fake::{FakeApiServer, FakeOptions};

use crate::support::{eventually, replicaset};

#[derive(Debug, thiserror::Error)]
enum Error {
    #[error(transparent)]
    Kube(#[from] kube::Error),
    #[error("the rollout has no namespace or uid")]
    Incomplete,
}

async fn reconcile(rollout: Arc<Rollout>, client: Arc<kube::Client>) -> Result<Action, Error> {
    let ns = rollout.namespace().ok_or(Error::Incomplete)?;
    let owner = rollout.controller_owner_ref(&()).ok_or(Error::Incomplete)?;
    let replicas = rollout.spec.replicas.unwrap_or(1);
    let name = format!("{}-v1", rollout.name_any());
    let mut rs = replicaset(&name, replicas);
    rs.metadata.owner_references = Some(vec![owner]);
    let replicasets: Api<ReplicaSet> = Api::namespaced((*client).clone(), &ns);
    let applied = replicasets
        .patch(
            &name,
            &PatchParams::apply("serin-test").force(),
            &Patch::Apply(&rs),
        )
        .await?;
    let ready = applied.status.and_then(|s| s.ready_replicas).unwrap_or(0);
    let phase = if ready == replicas {
        "Healthy"
    } else {
        "Progressing"
    };
    let rollouts: Api<Rollout> = Api::namespaced((*client).clone(), &ns);
    let status = json!({"status": {"phase": phase}});
    rollouts
        .patch_status(
            &rollout.name_any(),
            &PatchParams::default(),
            &Patch::Merge(&status),
        )
        .await?;
    Ok(Action::await_change())
}

fn error_policy(_: Arc<Rollout>, _: &Error, _: Arc<kube::Client>) -> Action {
    Action::requeue(Duration::from_millis(50))
}

#[tokio::test]
async fn a_runtime_controller_over_rollouts_reacts_to_its_owned_replicasets() {
    let options = FakeOptions {
        replicaset_simulator: Some(Duration::from_secs(30)),
        ..FakeOptions::default()
    };
    let (fake, client) = FakeApiServer::start_with(options).await.expect("start");
    let rollouts: Api<Rollout> = Api::namespaced(client.clone(), "default");
    let rollout: Rollout = serde_json::from_value(json!({
        "apiVersion": "serin.dev/v1alpha1", "kind": "Rollout",
        "metadata": {"name": "web"},
        "spec": {"replicas": 2, "strategy": {"canary": {"steps": [{"setWeight": 50}]}}},
    }))
    .expect("a valid Rollout");
    rollouts
        .create(&PostParams::default(), &rollout)
        .await
        .expect("create");

    let controller = Controller::new(rollouts.clone(), watcher::Config::default())
        .owns(
            Api::<ReplicaSet>::namespaced(client.clone(), "default"),
            watcher::Config::default(),
        )
        .run(reconcile, error_policy, Arc::new(client.clone()))
        .for_each(|_| async {});
    let running = tokio::spawn(controller);

    let phase = |want: &'static str| {
        let rollouts = rollouts.clone();
        async move {
            let r = rollouts.get("web").await.ok()?;
            let phase = serde_json::to_value(r.status?.phase?).ok()?;
            (phase == want).then_some(())
        }
    };
    eventually("Progressing", || phase("Progressing")).await;
    assert_eq!(fake.objects("v1", "Pod").len(), 2);

    fake.advance(Duration::from_secs(30));
    eventually("Healthy", || phase("Healthy")).await;
    running.abort();
}
