//! One pass for one rollout: observe → `serin_engine::plan` → execute →
//! write the status (replacing it, guarded by the resourceVersion read at
//! the start, so a pass planned from an old status never lands) → prune
//! the commands handled. A rollout being deleted is `crate::cleanup`'s.

use std::sync::Arc;
use std::time::Duration;

use kube::api::{Patch, PatchParams, PostParams};
use kube::runtime::controller::Action as Requeue;
use kube::{Api, ResourceExt};
use serde_json::json;
use serin_api::k8s::COMMANDS_ANNOTATION;
use serin_api::status::{Condition, RolloutPhase};
use serin_api::{Rollout, RolloutStatus};
use serin_engine::{Action, EventReason, Observed};
use serin_traffic::{Routers, Target};

use crate::context::Shared;
use crate::error::ControllerError;
use crate::execute::{Exec, publish};
use crate::{observe, patch, workload};

/// The rollout's namespace.
pub(crate) fn ns_of(rollout: &Rollout) -> String {
    rollout.namespace().unwrap_or_else(|| "default".to_owned())
}

/// The routers of `rollout`.
pub fn routers(shared: &Shared, rollout: &Rollout) -> Routers {
    let target = Target {
        client: shared.client.clone(),
        namespace: ns_of(rollout),
        rollout: rollout.name_any(),
    };
    serin_traffic::for_rollout(target, &rollout.spec)
}

/// Everything wrong with the spec, each with its field path: the spec's own
/// rules, then (for a spec that keeps them) the route shapes its routers
/// cannot express, the check `serin lint` makes, so a refused step is
/// reported before the first step is applied rather than when it is reached.
fn spec_errors(rollout: &Rollout) -> Vec<String> {
    let errors =
        serin_api::validate::validate_rollout(0, rollout, &serin_api::validate::Context::empty());
    if !errors.is_empty() {
        return errors.iter().map(ToString::to_string).collect();
    }
    serin_traffic::spec_check::check(&rollout.spec)
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// Brings one rollout a step closer to what its spec asks.
pub async fn apply(cached: Arc<Rollout>, shared: &Shared) -> Result<Requeue, ControllerError> {
    let ns = ns_of(&cached);
    let api: Api<Rollout> = Api::namespaced(shared.client.clone(), &ns);
    let Some(rollout) = api.get_opt(&cached.name_any()).await? else {
        return Ok(Requeue::await_change());
    };
    let old = rollout.status.clone().unwrap_or_default();
    let errors = spec_errors(&rollout);
    if !errors.is_empty() {
        let text = errors.join("; ");
        return invalid(
            shared,
            &api,
            &rollout,
            &old,
            &format!("invalid spec: {text}"),
        )
        .await;
    }
    let wanted = match observe::wanted(shared, &rollout).await {
        Ok(w) => w,
        Err(ControllerError::Spec(text)) => {
            return invalid(shared, &api, &rollout, &old, &text).await;
        }
        Err(e) => return Err(e),
    };
    let sets = observe::replica_sets(shared, &rollout);
    let versions = observe::versions(shared, &rollout, &sets).await?;
    // A rollout with no analysis in its status and none running here gets
    // no manager (and no list of its AnalysisRuns) until its plan asks for one.
    let mut manager = match shared.existing_manager(&rollout) {
        Some(m) => Some(m),
        None if !old.analysis.is_empty() => Some(shared.manager(&rollout).await?),
        None => None,
    };
    let routers = routers(shared, &rollout);
    let traffic = if routers.is_empty() {
        old.traffic.stable.is_some().then(|| old.traffic.clone())
    } else {
        routers.read_back().await?
    };
    let (commands, broken) = observe::commands(&rollout);
    if let Some(why) = broken {
        tracing::warn!(rollout = %rollout.name_any(), %why, "ignoring the command queue");
    }
    let observed = Observed {
        status: old.clone(),
        desired_revision: wanted.revision.clone(),
        versions,
        traffic,
        analysis_runs: manager.as_ref().map(|m| m.run_states()).unwrap_or_default(),
        commands: commands.clone(),
        workload: observe::workload(&wanted),
        deleting: None,
        idle_revisions: observe::idle_revisions(&sets),
    };
    let plan = serin_engine::plan(&rollout.spec, &observed, shared.clock.now());
    let analysis = plan.actions.iter().any(|a| {
        matches!(
            a,
            Action::StartAnalysis { .. } | Action::StopAnalysis { .. } | Action::CallWebhook { .. }
        )
    });
    if manager.is_none() && analysis {
        manager = Some(shared.manager(&rollout).await?);
    }
    let mut exec = Exec::new(shared, &rollout, &sets, &wanted, &routers);
    exec.manager = manager.as_deref();
    exec.args.stable_revision = plan.status.stable_revision.clone();
    exec.numbers = &plan.status.revisions;
    exec.run(&plan.actions).await?;
    let resource_version = exec.resource_version.clone();

    let mut status = plan.status.clone();
    status.observed_generation = rollout.metadata.generation;
    status.selector = Some(workload::selector_text(&workload::rollout_selector(
        &rollout,
        &wanted.template,
    )));
    let written = write_status(&api, &rollout, resource_version, &old, &status).await?;
    prune_commands(&api, &written, &commands, status.last_command_id).await;
    if let Some(r) = &shared.report {
        r.rollout(
            &ns,
            &rollout.name_any(),
            status.phase,
            status.traffic.canary_weight,
        );
    }

    let mut after = shared.config.resync;
    if let Some(ms) = plan.requeue_after_ms {
        after = after.min(Duration::from_millis(ms));
    }
    let busy = observed.versions.values().any(|v| v.ready < v.replicas)
        || observed
            .analysis_runs
            .values()
            .any(|r| !r.phase.is_terminal());
    if busy {
        after = after.min(shared.config.busy_poll);
    }
    Ok(Requeue::requeue(after))
}

/// Replaces the status when it changed; returns the rollout as it now is.
async fn write_status(
    api: &Api<Rollout>,
    rollout: &Rollout,
    resource_version: Option<String>,
    old: &RolloutStatus,
    status: &RolloutStatus,
) -> Result<Rollout, ControllerError> {
    let mut next = rollout.clone();
    next.metadata.resource_version = resource_version;
    if old == status {
        return Ok(next);
    }
    next.status = Some(status.clone());
    Ok(api
        .replace_status(&rollout.name_any(), &PostParams::default(), &next)
        .await?)
}

/// Takes the handled commands out of the queue, unless someone added one
/// since it was read (then the next pass does it).
async fn prune_commands(
    api: &Api<Rollout>,
    rollout: &Rollout,
    queued: &[serin_api::CommandRequest],
    handled: i64,
) {
    if !queued.iter().any(|c| c.id <= handled) {
        return;
    }
    let Some(current) = rollout.annotations().get(COMMANDS_ANNOTATION) else {
        return;
    };
    let path = format!(
        "/metadata/annotations/{}",
        COMMANDS_ANNOTATION.replace('/', "~1")
    );
    let pending = serin_api::k8s::pending_commands(queued, handled);
    let last = if pending.is_empty() {
        json!({"op": "remove", "path": path})
    } else {
        let text = serde_json::to_string(&pending).unwrap_or_default();
        json!({"op": "replace", "path": path, "value": text})
    };
    let ops = json!([{"op": "test", "path": path, "value": current}, last]);
    let Ok(ops) = patch::json(ops) else {
        return;
    };
    if let Err(e) = api
        .patch(
            &rollout.name_any(),
            &PatchParams::default(),
            &Patch::<()>::Json(ops),
        )
        .await
    {
        tracing::debug!(rollout = %rollout.name_any(), error = %e, "pruning commands: retried next pass");
    }
}

/// Writes why the spec cannot be run, and does nothing else.
async fn invalid(
    shared: &Shared,
    api: &Api<Rollout>,
    rollout: &Rollout,
    old: &RolloutStatus,
    message: &str,
) -> Result<Requeue, ControllerError> {
    let mut status = old.clone();
    status.phase = Some(RolloutPhase::Degraded);
    status.message = Some(message.to_owned());
    status.observed_generation = rollout.metadata.generation;
    status.conditions.retain(|c| c.type_ != "InvalidSpec");
    status.conditions.push(Condition {
        type_: "InvalidSpec".to_owned(),
        status: "True".to_owned(),
        reason: "InvalidSpec".to_owned(),
        message: message.to_owned(),
        last_transition_time: old
            .conditions
            .iter()
            .find(|c| c.type_ == "InvalidSpec" && c.message == message)
            .map_or_else(|| shared.clock.now(), |c| c.last_transition_time),
    });
    if status != *old {
        publish(shared, rollout, EventReason::CommandIgnored, message).await;
        write_status(api, rollout, rollout.resource_version(), old, &status).await?;
    }
    Ok(Requeue::await_change())
}
