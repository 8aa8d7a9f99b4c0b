//! The blue-green strategy: the new version comes up behind the preview,
//! passes pre-promotion analysis, waits at the promotion gate (a person, a
//! timer, or nothing), scales to full, takes all active traffic at once,
//! passes post-promotion analysis, and only then becomes stable — the old
//! version stays up until then, so an abort switches straight back.

use std::collections::BTreeMap;

use serin_api::analysis_ref::RolloutAnalysis;
use serin_api::bluegreen::BlueGreenStrategy;
use serin_api::status::{AnalysisKind, Traffic};

use crate::analysis::{Gate, judge, run_name};
use crate::context::{Cx, Desired, Draft, PauseReasonKey, RunSpec, Wait, WantedRun};
use crate::output::EventReason;
use crate::steady::{self, Preview};
use crate::strategy;
use crate::webhooks;
use serin_api::webhook::WebhookType;

/// Plans a blue-green rollout.
pub(crate) fn plan(cx: &Cx<'_>, d: &mut Draft, bg: &BlueGreenStrategy) -> Desired {
    if !d.releasing() {
        return steady::steady(cx, d, Preview::Stable);
    }
    if d.aborted() {
        return steady::aborted(cx, d, Preview::Stable);
    }
    let (stable, new, r) = (d.stable(), d.current(), cx.replicas());
    let full = d.st.promote_full;
    let user_paused = d.st.user_paused_at.is_some() || cx.spec_paused();
    let mut runs = Vec::new();
    if let Some(why) = webhooks::rollback_asked(cx, d, &mut runs) {
        d.abort(cx.now, bg.abort_scale_down_delay_ms(), why);
        return steady::aborted(cx, d, Preview::Stable);
    }
    let state = d.st.blue_green.clone().unwrap_or_default();

    if state.switched_at.is_none() {
        // At least one replica: a preview is judged and switched only once one is ready.
        let preview_want = bg
            .preview_replica_count
            .map_or(r, |p| u32::try_from(p).unwrap_or(0))
            .clamp(r.min(1), r);
        let ready = cx.ready(&new);
        let preview_ready = ready >= preview_want.max(1);
        let preview = if preview_ready {
            new.clone()
        } else {
            stable.clone()
        };
        let traffic = Traffic {
            stable: Some(stable.clone()),
            preview: Some(preview),
            ..Traffic::default()
        };
        let verified = preview_ready && cx.traffic() == Some(&traffic);
        let mut gate_open = verified;
        if verified {
            d.st.blue_green
                .get_or_insert_with(Default::default)
                .preview_ready_at
                .get_or_insert(cx.now);
            if !full {
                match webhooks::gate(cx, d, WebhookType::PreRollout, None, &mut runs) {
                    Gate::Pass => {}
                    Gate::Hold => gate_open = false,
                    Gate::Abort(why) => {
                        d.abort(cx.now, bg.abort_scale_down_delay_ms(), why);
                        return steady::aborted(cx, d, Preview::Stable);
                    }
                }
            }
            if let Some(pre) = bg
                .pre_promotion_analysis
                .as_ref()
                .filter(|_| !full && gate_open)
            {
                let (run, gate) = judge(cx, d, AnalysisKind::PrePromotion, None, pre);
                runs.push(run);
                match gate {
                    Gate::Pass => {}
                    Gate::Hold => gate_open = false,
                    Gate::Abort(why) => {
                        d.abort(cx.now, bg.abort_scale_down_delay_ms(), why);
                        return steady::aborted(cx, d, Preview::Stable);
                    }
                }
            }
        } else if !preview_ready {
            d.wait(Wait::Platform(format!(
                "preview {new}: {ready}/{preview_want} replicas ready"
            )));
        } else {
            d.wait(Wait::Platform(format!(
                "preview traffic to {new} to take effect"
            )));
        }
        if !verified {
            let pre = bg.pre_promotion_analysis.as_ref().filter(|_| !full);
            keep_run(cx, d, AnalysisKind::PrePromotion, pre, &mut runs);
        }
        let promote =
            gate_open && !user_paused && promotion_due(cx, d, bg, full || state.promote_requested);
        if !promote {
            return Desired {
                replicas: BTreeMap::from([(stable, r), (new, preview_want)]),
                traffic,
                runs,
            };
        }
        if !full {
            let rollout = webhooks::gate(cx, d, WebhookType::Rollout, None, &mut runs);
            let confirm = webhooks::gate(cx, d, WebhookType::ConfirmPromotion, None, &mut runs);
            match (rollout, confirm) {
                (Gate::Pass, Gate::Pass) => {}
                (Gate::Abort(why), _) | (_, Gate::Abort(why)) => {
                    d.abort(cx.now, bg.abort_scale_down_delay_ms(), why);
                    return steady::aborted(cx, d, Preview::Stable);
                }
                _ => {
                    return Desired {
                        replicas: BTreeMap::from([(stable, r), (new, preview_want)]),
                        traffic,
                        runs,
                    };
                }
            }
        }
        if ready < r {
            d.wait(Wait::Platform(format!(
                "{new}: {ready}/{r} replicas ready before the switch"
            )));
            return Desired {
                replicas: BTreeMap::from([(stable, r), (new, r)]),
                traffic,
                runs,
            };
        }
        d.st.blue_green
            .get_or_insert_with(Default::default)
            .switched_at = Some(cx.now);
        d.st.step_started_at = Some(cx.now);
        d.event(
            EventReason::TrafficSwitched,
            format!("active traffic switched from {stable} to {new}"),
        );
        // The gates before the switch are done; rollback webhooks are asked until the end.
        runs.retain(
            |r| matches!(&r.spec, RunSpec::Webhook(h) if h.0.type_ == WebhookType::Rollback),
        );
    }

    let traffic = Traffic {
        stable: Some(new.clone()),
        preview: Some(new.clone()),
        ..Traffic::default()
    };
    let both = BTreeMap::from([(stable.clone(), r), (new.clone(), r)]);
    let post = bg.post_promotion_analysis.as_ref().filter(|_| !full);
    if cx.ready(&new) == 0 || cx.traffic() != Some(&traffic) {
        keep_run(cx, d, AnalysisKind::PostPromotion, post, &mut runs);
    }
    if cx.ready(&new) == 0 {
        // The old version is still up: active traffic stays on it (or returns to it).
        d.wait(Wait::Platform(format!(
            "{new} has no ready replica; active traffic stays on {stable}"
        )));
        let traffic = Traffic {
            stable: Some(stable.clone()),
            preview: Some(new.clone()),
            ..Traffic::default()
        };
        return Desired {
            replicas: both,
            traffic,
            runs,
        };
    }
    if cx.traffic() != Some(&traffic) {
        d.wait(Wait::Platform(format!(
            "active traffic switch to {new} to take effect"
        )));
        return Desired {
            replicas: both,
            traffic,
            runs,
        };
    }
    if let Some(post) = post {
        let (run, gate) = judge(cx, d, AnalysisKind::PostPromotion, None, post);
        runs.push(run);
        match gate {
            Gate::Pass => {}
            Gate::Hold => {
                return Desired {
                    replicas: both,
                    traffic,
                    runs,
                };
            }
            Gate::Abort(why) => {
                d.abort(cx.now, bg.abort_scale_down_delay_ms(), why);
                return steady::aborted(cx, d, Preview::Stable);
            }
        }
    }
    if user_paused {
        // Not promoted while paused: the old version stays up to switch back to.
        return Desired {
            replicas: both,
            traffic,
            runs,
        };
    }
    webhooks::post_rollout(cx, d);
    d.st.stable_revision = Some(new.clone());
    d.st.promote_full = false;
    d.schedule_scale_down(
        &stable,
        cx.now.plus_millis(strategy::promotion_delay_ms(cx.spec)),
    );
    d.event(
        EventReason::RolloutPromoted,
        format!("{new} is stable (was {stable})"),
    );
    steady::steady(cx, d, Preview::Stable)
}

/// Keeps a run of this release going while its gate waits on the platform
/// (a readiness or traffic blip): it is not stopped with a partial verdict,
/// and is judged once the gate is back.
fn keep_run(
    cx: &Cx<'_>,
    d: &Draft,
    kind: AnalysisKind,
    analysis: Option<&RolloutAnalysis>,
    runs: &mut Vec<WantedRun>,
) {
    let Some(analysis) = analysis else {
        return;
    };
    let name = run_name(&d.current(), d.st.attempt, kind, None);
    if cx.obs.analysis_runs.contains_key(&name) && !runs.iter().any(|r| r.name == name) {
        runs.push(WantedRun {
            name,
            kind,
            step: None,
            spec: RunSpec::Analysis(analysis.clone()),
        });
    }
}

/// Whether the promotion gate opens now: asked for, or automatic and due.
fn promotion_due(cx: &Cx<'_>, d: &mut Draft, bg: &BlueGreenStrategy, asked: bool) -> bool {
    let gate_at = *d
        .st
        .blue_green
        .get_or_insert_with(Default::default)
        .gate_at
        .get_or_insert(cx.now);
    if asked {
        return true;
    }
    if !bg.auto_promotion_enabled() {
        d.pause(
            PauseReasonKey::BlueGreenPause,
            "preview is ready; promote to switch",
        );
        return false;
    }
    let due = gate_at.plus_millis(bg.auto_promotion_ms());
    if cx.now >= due {
        return true;
    }
    d.pause(
        PauseReasonKey::BlueGreenPause,
        format!("preview is ready; switches by itself at {due}"),
    );
    d.wake_at(due);
    false
}
