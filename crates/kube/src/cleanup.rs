//! A rollout being deleted, held by serin's finalizer
//! ([`serin_api::k8s::FINALIZER`]): observe what it still holds — its
//! ReplicaSets, the traffic its routers read back, which routing objects
//! are gone — and let `serin_engine::plan` decide, with
//! `Observed.deleting` set, what to give back in which order; carry that
//! out. The engine sends all traffic to stable and waits to read it back
//! before any version is scaled down, so one cleanup observes, plans and
//! executes a few times; the finalizer goes once a plan ends in
//! `Finalize`, and until then the cleanup fails with what it waits on (and
//! is tried again). The rollout is read fresh first: a cached copy may
//! still show one an earlier cleanup let go.

use std::sync::Arc;

use k8s_openapi::api::core::v1::PodTemplateSpec;
use kube::runtime::controller::Action as Requeue;
use kube::{Api, ResourceExt};
use serin_api::Rollout;
use serin_api::k8s::FINALIZER;
use serin_api::status::Traffic;
use serin_engine::{Action, Deleting, Observed};
use serin_traffic::{RouterError, Routers};

use crate::context::Shared;
use crate::error::ControllerError;
use crate::execute::Exec;
use crate::observe::{self, Wanted};
use crate::reconcile::{ns_of, routers};

/// Observe → plan → execute rounds in one cleanup: one to send the traffic
/// to stable, one to find it there and finish, one to spare.
const ROUNDS: usize = 3;

/// Gives back what a deleted rollout holds, as the engine plans it; `Ok`
/// once the plan has let it go (the finalizer is then removed).
///
/// # Errors
/// A write failed, or the routers do not show all traffic on stable yet.
pub async fn cleanup(cached: Arc<Rollout>, shared: &Shared) -> Result<Requeue, ControllerError> {
    // The cache may still show a rollout an earlier cleanup let go (its
    // routing restored, its ReplicaSets on their way out): read it fresh,
    // and touch nothing for one that is gone or no longer held by serin.
    let api: Api<Rollout> = Api::namespaced(shared.client.clone(), &ns_of(&cached));
    let Some(rollout) = api.get_opt(&cached.name_any()).await? else {
        return Ok(Requeue::await_change());
    };
    if !rollout.finalizers().iter().any(|f| f == FINALIZER) {
        return Ok(Requeue::await_change());
    }
    let status = rollout.status.clone().unwrap_or_default();
    let routers = routers(shared, &rollout);
    let sets = observe::replica_sets(shared, &rollout);
    // A rollout being deleted makes no ReplicaSet and reads no template.
    let wanted = Wanted {
        template: PodTemplateSpec::default(),
        revision: String::new(),
        deployment: None,
    };
    // With no router the traffic last asked for is in effect, as in a pass.
    let mut asked = status
        .traffic
        .stable
        .is_some()
        .then(|| status.traffic.clone());
    let mut waiting = String::new();
    for _ in 0..ROUNDS {
        let (traffic, routing_gone) = read_back(&routers, asked.as_ref()).await?;
        let observed = Observed {
            status: status.clone(),
            desired_revision: status.current_revision.clone().unwrap_or_default(),
            versions: observe::counts(&sets),
            traffic,
            deleting: Some(Deleting {
                routing_gone: routing_gone.clone(),
            }),
            ..Observed::default()
        };
        let plan = serin_engine::plan(&rollout.spec, &observed, shared.clock.now());
        let mut exec = Exec::new(shared, &rollout, &sets, &wanted, &routers);
        exec.args.stable_revision = status.stable_revision.clone();
        for action in &plan.actions {
            match exec.run(std::slice::from_ref(action)).await {
                // The plan knows the object is gone and does not wait on it.
                Err(ControllerError::Traffic(e @ RouterError::NotFound { .. }))
                    if !routing_gone.is_empty() =>
                {
                    tracing::warn!(rollout = %rollout.name_any(), error = %e, "finalizing without it");
                }
                other => other?,
            }
            if let Action::SetTraffic { traffic } = action {
                asked = Some(traffic.clone());
            }
        }
        if exec.finalized {
            shared.forget(&rollout);
            if let Some(r) = &shared.report {
                r.forget(&ns_of(&rollout), &rollout.name_any());
            }
            return Ok(Requeue::await_change());
        }
        waiting = plan.status.message.unwrap_or_default();
    }
    Err(ControllerError::Finalizer(waiting))
}

/// The traffic the routers show (with none, the traffic last `asked` for),
/// and the routing objects found gone, each as `Kind namespace/name`.
async fn read_back(
    routers: &Routers,
    asked: Option<&Traffic>,
) -> Result<(Option<Traffic>, Vec<String>), ControllerError> {
    if routers.is_empty() {
        return Ok((asked.cloned(), Vec::new()));
    }
    match routers.read_back().await {
        Ok(traffic) => Ok((traffic, Vec::new())),
        Err(RouterError::NotFound {
            kind,
            namespace,
            name,
            ..
        }) => Ok((None, vec![format!("{kind} {namespace}/{name}")])),
        Err(e) => Err(e.into()),
    }
}
