//! The control loop of one rollout: **observe** (supervisor snapshot,
//! traffic read back from the proxy, analysis runs, the stored status,
//! commands and desired revision) → `serin_engine::plan` → **execute** the
//! actions in order → write the status back. It wakes on a supervisor
//! change (replica endpoints are followed at once, weights untouched), an
//! analysis verdict changing, a command or version arriving, the engine's
//! `requeueAfterMs`, and a slow tick. It decides nothing itself. The
//! pass's events go to the history and, once it is written, to the
//! notifier (queued, never awaited); the finished runs the engine's history
//! limits drop are deleted from the store once the pass is written.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serin_api::RolloutStatus;
use serin_engine::{Action, Observed, RunState};
use serin_notify::{Event, Notifier};
use tokio::sync::watch;

use super::runtime::Runtime;
use super::{DaemonError, now};
use crate::store::HistoryKind;

/// The slowest the loop goes without a reason to wake.
const TICK: Duration = Duration::from_secs(2);
/// How often analysis verdicts are looked at for a change.
const RUNS_POLL: Duration = Duration::from_millis(200);
/// The wait before looking again at a change just made (new traffic in
/// effect, a new desired revision).
const SOON: Duration = Duration::from_millis(20);
/// The wait after a pass failed.
const RETRY: Duration = Duration::from_secs(1);

/// What a pass asks of the loop.
struct Next {
    after: Duration,
    runs: BTreeMap<String, RunState>,
    /// Finished runs to delete (`DeleteAnalysisRuns`).
    delete: Vec<String>,
}

/// Runs the loop until `stop` turns true; the events of each pass are
/// handed to `notifier`.
pub async fn run(rt: Arc<Runtime>, mut stop: watch::Receiver<bool>, notifier: Notifier) {
    let mut snaps = rt.supervisor.subscribe();
    loop {
        let next = match pass(&rt, &notifier) {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(rollout = %rt.name, error = %e, "planning pass failed");
                Next {
                    after: RETRY,
                    runs: rt.manager.run_states(),
                    delete: Vec::new(),
                }
            }
        };
        if !next.delete.is_empty()
            && let Err(e) = rt.manager.delete(&next.delete).await
        {
            tracing::warn!(rollout = %rt.name, error = %e, "deleting old analysis runs");
        }
        let runs_changed = async {
            loop {
                tokio::time::sleep(RUNS_POLL).await;
                if rt.manager.run_states() != next.runs {
                    return;
                }
            }
        };
        tokio::select! {
            () = tokio::time::sleep(next.after) => {}
            changed = snaps.changed() => {
                if changed.is_err() {
                    return;
                }
                let snap = snaps.borrow_and_update().clone();
                if let Err(e) = rt.router.refresh(&snap) {
                    tracing::warn!(rollout = %rt.name, error = %e, "following replica endpoints");
                }
                if let Err(e) = rt.store.save_replicas(&rt.name, snap.records()) {
                    tracing::warn!(rollout = %rt.name, error = %e, "storing replicas");
                }
            }
            () = rt.wake.notified() => {}
            () = runs_changed => {}
            _ = stop.changed() => return,
        }
    }
}

/// One observe → plan → execute → write pass.
fn pass(rt: &Runtime, notifier: &Notifier) -> Result<Next, DaemonError> {
    let record = rt
        .store
        .load(&rt.name)?
        .ok_or_else(|| DaemonError::Unknown(rt.name.clone()))?;
    let snap = rt.supervisor.snapshot();
    let runs = rt.manager.run_states();
    let observed = Observed {
        status: record.status.clone(),
        desired_revision: record.desired_revision.clone(),
        versions: snap.version_states(),
        traffic: rt.router.read_back(),
        analysis_runs: runs.clone(),
        commands: record.commands.clone(),
        // One host has no workloadRef (`spec.local` is its workload) and
        // removes a rollout without a deletion pass.
        workload: None,
        deleting: None,
        // Nothing of a version is kept once its processes are gone.
        idle_revisions: Vec::new(),
    };
    let at = now();
    let plan = serin_engine::plan(&rt.spec, &observed, at);
    let args = rt.arg_source(
        plan.status.stable_revision.clone(),
        &record.desired_revision,
    );
    let mut history = news(&record.status, &plan.status)
        .into_iter()
        .map(|kind| (at, kind))
        .collect::<Vec<_>>();
    let mut again = false;
    let mut announce = Vec::new();
    let mut delete = Vec::new();
    for action in &plan.actions {
        match action {
            Action::SetTraffic { traffic } => {
                again |= rt.router.apply(traffic, &rt.supervisor.snapshot())?;
            }
            Action::Scale { revision, replicas } => rt.supervisor.scale(revision, *replicas)?,
            Action::StartAnalysis { .. }
            | Action::StopAnalysis { .. }
            | Action::CallWebhook { .. } => {
                rt.manager.execute(std::slice::from_ref(action), &args);
            }
            Action::SetDesiredRevision { revision } => {
                let by = undo_author(&record.commands, plan.status.last_command_id);
                rt.store.set_desired(&rt.name, revision, &by, at)?;
                again = true;
            }
            Action::DeleteAnalysisRuns { names } => delete.extend(names.iter().cloned()),
            // Planned only from inputs the daemon never gives (a workloadRef
            // Deployment, a rollout being deleted, revisions kept idle), so
            // never asked of it.
            Action::ScaleWorkload { .. }
            | Action::RestoreRouting
            | Action::Finalize
            | Action::DeleteRevisions { .. } => {}
            Action::Event { reason, message } => {
                history.push((
                    at,
                    HistoryKind::Event {
                        reason: *reason,
                        message: message.clone(),
                    },
                ));
                announce.push(
                    Event::new(*reason, &rt.name, &args.namespace, message, at.0)
                        .with_revision(Some(record.desired_revision.clone()))
                        .at(&record.status),
                );
            }
        }
    }
    rt.store.save_pass(
        &rt.name,
        &plan.status,
        rt.supervisor.snapshot().records(),
        history,
    )?;
    for event in announce {
        notifier.notify(event);
    }
    let after = if again {
        SOON
    } else {
        plan.requeue_after_ms
            .map_or(TICK, |ms| Duration::from_millis(ms).min(TICK))
    };
    Ok(Next {
        after,
        runs,
        delete,
    })
}

/// Who gave the undo the engine just carried out.
fn undo_author(commands: &[serin_api::CommandRequest], handled: i64) -> String {
    commands
        .iter()
        .rev()
        .filter(|c| c.id <= handled)
        .find(|c| matches!(c.command, serin_api::Command::Undo { .. }))
        .map_or_else(|| "undo".to_owned(), |c| format!("{} (undo)", c.by))
}

/// What the new status holds that the old one did not: revisions numbered,
/// analysis verdicts reached.
fn news(old: &RolloutStatus, new: &RolloutStatus) -> Vec<HistoryKind> {
    let mut out: Vec<HistoryKind> = new
        .revisions
        .iter()
        .filter(|r| !old.revisions.contains(r))
        .map(|r| HistoryKind::Revision {
            number: r.number,
            revision: r.revision.clone(),
        })
        .collect();
    for a in &new.analysis {
        let before = old.analysis.iter().find(|b| b.name == a.name);
        if a.phase.is_terminal() && before.map(|b| b.phase) != Some(a.phase) {
            out.push(HistoryKind::Verdict {
                run: a.name.clone(),
                kind: format!("{:?}", a.kind),
                phase: format!("{:?}", a.phase),
                message: a.message.clone(),
            });
        }
    }
    out
}
