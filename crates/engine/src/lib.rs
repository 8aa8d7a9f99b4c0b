//! serin's pure decision core. [`plan`] takes a rollout's spec, a snapshot of
//! what the platform observed, and the time, and returns the actions to apply
//! and the status to write back. It does no I/O, reads no clock and holds no
//! state: every decision — which step, which weight, when to pause, abort,
//! promote or scale down, how far a `workloadRef` Deployment shrinks,
//! which old analysis runs and revisions are deleted, and what a rollout
//! being deleted gives back in which order — is made here, the same way on
//! Kubernetes and on one host.

mod analysis;
mod bluegreen;
mod canary;
mod commands;
mod context;
mod deletion;
mod history;
pub mod judge;
pub mod measure;
pub mod observed;
pub mod output;
mod progress;
mod reconcile;
mod report;
mod revisions;
mod steady;
mod strategy;
mod surge;
mod webhooks;
mod workload;

pub use observed::{Deleting, IdleRevision, Observed, RunState, VersionState, WorkloadState};
pub use output::{Action, EventReason, Plan};
use serin_api::{RolloutSpec, Time};

use context::{Cx, Desired, Draft, Wait};
use progress::Deadline;
use strategy::Shape;

/// Decides what to do next for one rollout.
///
/// The spec is expected to have passed validation; an invalid value is
/// treated leniently (an unparsable duration as zero) and never panics.
pub fn plan(spec: &RolloutSpec, observed: &Observed, now: Time) -> Plan {
    if let Some(deleting) = &observed.deleting {
        return deletion::plan(observed, deleting);
    }
    let cx = Cx {
        spec,
        obs: observed,
        now,
    };
    let mut d = Draft::new(observed.status.clone());
    commands::apply(&cx, &mut d);
    revisions::track(&cx, &mut d);
    progress::check_health(&cx, &mut d);
    let command_actions = std::mem::take(&mut d.actions);

    let mut desired = decide(&cx, &mut d);
    d.st.traffic_verified = cx.traffic() == Some(&desired.traffic);
    let mut deadline = progress::check_deadline(&cx, &mut d);
    if deadline == Deadline::Aborted {
        d.wait = Wait::Nothing;
        d.pauses.clear();
        desired = decide(&cx, &mut d);
        d.st.traffic_verified = cx.traffic() == Some(&desired.traffic);
        progress::check_deadline(&cx, &mut d);
        deadline = Deadline::Met;
    }
    reconcile::actions(&cx, &mut d, &desired);
    report::finish(&cx, &mut d, &desired, deadline);
    workload::scale(&cx, &mut d);

    let mut actions = d.actions;
    actions.extend(command_actions);
    let prune = history::prune(&cx, &d.st, &desired, &actions);
    actions.extend(prune);
    actions.extend(d.events);
    let requeue_after_ms = d.wake.map(|at| at.millis_since(now).max(1));
    Plan {
        actions,
        status: d.st,
        requeue_after_ms,
    }
}

fn decide(cx: &Cx<'_>, d: &mut Draft) -> Desired {
    if d.st.user_paused_at.is_some() || cx.spec_paused() {
        d.pause(
            context::PauseReasonKey::PausedByUser,
            "paused by a person; resume to go on",
        );
    }
    match strategy::shape(cx.spec) {
        Shape::Canary(c) => canary::plan(cx, d, c),
        Shape::BlueGreen(bg) => bluegreen::plan(cx, d, bg),
    }
}
