//! Turns the desired world into actions, in a safe order: traffic first (so
//! an abort's first action sends everything to stable), then analysis stops,
//! replicas, analysis starts. A version no longer wanted is scaled down only
//! once the router no longer reports traffic to it, not before its
//! scheduled time, and (a replaced canary on a replica split) only as far
//! as `maxUnavailable` allows.

use serin_api::AnalysisPhase;

use crate::context::{Cx, Desired, Draft, RunSpec, Wait, WantedRun};
use crate::output::Action;
use crate::strategy;
use crate::surge;

/// Appends the actions that move the world toward `desired`.
pub(crate) fn actions(cx: &Cx<'_>, d: &mut Draft, desired: &Desired) {
    d.st.traffic_verified = cx.traffic() == Some(&desired.traffic);
    if !d.st.traffic_verified {
        d.actions.insert(
            0,
            Action::SetTraffic {
                traffic: desired.traffic.clone(),
            },
        );
    }
    d.st.traffic = desired.traffic.clone();

    // A run a person promoted past is no longer wanted: stopped, never started.
    let skipped = |name: &str| d.st.analysis.iter().any(|a| a.name == name && a.skipped);
    let wanted: Vec<&WantedRun> = desired.runs.iter().filter(|w| !skipped(&w.name)).collect();
    for (name, run) in &cx.obs.analysis_runs {
        let running = matches!(run.phase, AnalysisPhase::Pending | AnalysisPhase::Running);
        if running && !wanted.iter().any(|w| &w.name == name) {
            d.actions.push(Action::StopAnalysis { name: name.clone() });
        }
    }

    for (revision, &replicas) in &desired.replicas {
        if cx.obs.version(revision).replicas != replicas {
            d.actions.push(Action::Scale {
                revision: revision.clone(),
                replicas,
            });
        }
    }
    retire(cx, d, desired);

    for run in wanted {
        if cx.obs.analysis_runs.contains_key(&run.name) {
            continue;
        }
        d.actions.push(match &run.spec {
            RunSpec::Analysis(analysis) => Action::StartAnalysis {
                name: run.name.clone(),
                kind: run.kind,
                step: run.step,
                analysis: analysis.clone(),
            },
            RunSpec::Webhook(hook) => Action::CallWebhook {
                name: run.name.clone(),
                webhook: hook.0.clone(),
                payload: hook.1.clone(),
            },
        });
    }
}

/// Scales down versions that are no longer wanted, when it is safe and due;
/// on a replica split, only as far as `maxUnavailable` allows.
fn retire(cx: &Cx<'_>, d: &mut Draft, desired: &Desired) {
    d.st.scale_downs
        .retain(|s| !desired.replicas.contains_key(&s.revision));
    let delay = strategy::abort_delay_ms(cx.spec);
    let mut keep = surge::keep_ready(cx, d);
    for (revision, version) in &cx.obs.versions {
        if desired.replicas.contains_key(revision) {
            continue;
        }
        if version.replicas == 0 {
            d.st.scale_downs.retain(|s| &s.revision != revision);
            continue;
        }
        let in_use = cx.traffic().is_none_or(|t| t.references(revision))
            || desired.traffic.references(revision);
        if in_use {
            if d.wait == Wait::Nothing {
                d.wait(Wait::Platform(format!(
                    "traffic to leave {revision} before it is scaled down"
                )));
            }
            continue;
        }
        let at = match d.st.scale_downs.iter().find(|s| &s.revision == revision) {
            Some(s) => s.at,
            None => {
                let at = cx.now.plus_millis(delay);
                d.schedule_scale_down(revision, at);
                at
            }
        };
        if cx.now >= at {
            let kept = version.ready.min(version.replicas).min(keep);
            keep -= kept;
            if kept < version.replicas {
                d.actions.push(Action::Scale {
                    revision: revision.clone(),
                    replicas: kept,
                });
            }
        } else {
            d.wake_at(at);
        }
    }
}
