//! The canary strategy: runs the steps in order, each passing only when what
//! it asks for is in effect (replicas ready and traffic read back from the
//! router), a pause has elapsed or been promoted, or its analysis is
//! Successful; then promotes the canary to stable. Traffic to the canary
//! never grows before its replicas are ready, and shrinks at once.

mod world;

use serin_api::AnalysisPhase;
use serin_api::analysis_ref::BackgroundAnalysis;
use serin_api::canary::{CanaryStep, CanaryStrategy, StepKind};
use serin_api::status::AnalysisKind;
use serin_api::webhook::WebhookType;

use crate::analysis::{Gate, judge, run_name};
use crate::context::{Cx, Desired, Draft, PauseReasonKey, RunSpec, Wait, WantedRun};
use crate::output::EventReason;
use crate::steady::{self, Preview};
use crate::strategy::{self, Split};
use crate::surge;
use crate::webhooks;
use world::{at_step, targets, without_traffic};

/// Plans a canary rollout. On a replica split, the stable alone (no release,
/// or an aborted one) grows back as fast as the surge allows.
pub(crate) fn plan(cx: &Cx<'_>, d: &mut Draft, c: &CanaryStrategy) -> Desired {
    let mut desired = release(cx, d, c);
    let stable_only = !d.releasing() || d.aborted();
    if stable_only && strategy::split(cx.spec, c) == Split::Replicas {
        let stable = d.stable();
        if let Some(want) = desired.replicas.get_mut(&stable) {
            *want = surge::restore(cx, c, &stable, *want);
        }
    }
    desired
}

/// The world a canary rollout wants, before the surge is applied to the stable alone.
fn release(cx: &Cx<'_>, d: &mut Draft, c: &CanaryStrategy) -> Desired {
    if !d.releasing() {
        return steady::steady(cx, d, Preview::None);
    }
    if d.aborted() {
        return steady::aborted(cx, d, Preview::None);
    }
    let steps = c.effective_steps();
    let n = i32::try_from(steps.len()).unwrap_or(i32::MAX);
    let split = strategy::split(cx.spec, c);
    let mut i = if d.st.promote_full {
        n
    } else {
        d.st.current_step_index.unwrap_or(0).clamp(0, n)
    };
    let background = c.analysis.as_ref().filter(|_| !d.st.promote_full);
    let mut runs = Vec::new();
    if let Some(why) = webhooks::rollback_asked(cx, d, &mut runs) {
        d.abort(cx.now, c.abort_scale_down_delay_ms(), why);
        return steady::aborted(cx, d, Preview::None);
    }
    if i == 0 && !d.st.promote_full && has_hooks(cx, WebhookType::PreRollout) {
        // Acceptance tests run against a ready canary that has no traffic yet.
        let gate = if cx.ready(&d.current()) > 0 {
            webhooks::gate(cx, d, WebhookType::PreRollout, None, &mut runs)
        } else {
            d.wait(Wait::Platform(
                "a ready canary for the pre-rollout webhooks".into(),
            ));
            Gate::Hold
        };
        match gate {
            Gate::Pass => {}
            Gate::Hold => {
                let at = at_step(cx, d, c, split, without_traffic(targets(&steps, 0)));
                return Desired { runs, ..at.desired };
            }
            Gate::Abort(why) => {
                d.abort(cx.now, c.abort_scale_down_delay_ms(), why);
                return steady::aborted(cx, d, Preview::None);
            }
        }
    }

    // A failed (or inconclusive) background run stops the steps before they advance.
    if let Some(bg) = background.filter(|bg| background_active(bg, i, n)) {
        let name = run_name(&d.current(), d.st.attempt, AnalysisKind::Background, None);
        let stops = matches!(
            d.run_verdict(cx, &name),
            Some(AnalysisPhase::Failed | AnalysisPhase::Error | AnalysisPhase::Inconclusive)
        );
        if stops {
            let (_, gate) = judge(cx, d, AnalysisKind::Background, None, &bg.as_analysis());
            if let Gate::Abort(why) = gate {
                d.abort(cx.now, c.abort_scale_down_delay_ms(), why);
                return steady::aborted(cx, d, Preview::None);
            }
        }
    }
    let paused = !d.pauses.is_empty();
    while !paused && i < n {
        let step = &steps[usize::try_from(i).unwrap_or(0)];
        // A step passes when what it asks for is in effect and then its
        // rollout webhooks answer 2xx.
        let gate = match step_gate(cx, d, c, &steps, split, i, step, &mut runs) {
            Gate::Pass => webhooks::gate(cx, d, WebhookType::Rollout, Some(i), &mut runs),
            other => other,
        };
        match gate {
            Gate::Pass => {
                i += 1;
                d.st.step_started_at = Some(cx.now);
                d.event(EventReason::StepCompleted, format!("step {i}/{n} done"));
            }
            Gate::Hold => break,
            Gate::Abort(why) => {
                d.abort(cx.now, c.abort_scale_down_delay_ms(), why);
                return steady::aborted(cx, d, Preview::None);
            }
        }
    }
    d.st.current_step_index = Some(i);
    if paused {
        keep_step_run(cx, d, &steps, i, &mut runs);
    }
    if let Some(bg) = background.filter(|bg| background_active(bg, i, n)) {
        let (run, gate) = judge(cx, d, AnalysisKind::Background, None, &bg.as_analysis());
        if let Gate::Abort(why) = gate {
            d.abort(cx.now, c.abort_scale_down_delay_ms(), why);
            return steady::aborted(cx, d, Preview::None);
        }
        runs.push(run);
    }
    if i >= n && !paused && !d.st.promote_full && has_hooks(cx, WebhookType::ConfirmPromotion) {
        let gate = webhooks::gate(cx, d, WebhookType::ConfirmPromotion, None, &mut runs);
        if gate != Gate::Pass {
            let mut last = targets(&steps, (n - 1).max(0));
            if n == 0 {
                last = without_traffic(last);
            }
            let at = at_step(cx, d, c, split, last);
            return Desired { runs, ..at.desired };
        }
    }
    let at = at_step(cx, d, c, split, targets(&steps, i));
    if i >= n && !paused {
        if at.settled(cx) {
            return promote(cx, d);
        }
        d.wait(Wait::Platform(at.describe(cx, "promotion")));
    }
    Desired { runs, ..at.desired }
}

/// Whether the spec has webhooks of a type.
fn has_hooks(cx: &Cx<'_>, type_: WebhookType) -> bool {
    cx.spec.webhooks.iter().any(|h| h.type_ == type_)
}

/// The canary becomes stable; the old stable is scaled down after the delay.
fn promote(cx: &Cx<'_>, d: &mut Draft) -> Desired {
    webhooks::post_rollout(cx, d);
    let old = d.stable();
    let new = d.current();
    d.st.stable_revision = Some(new.clone());
    d.st.promote_full = false;
    d.schedule_scale_down(
        &old,
        cx.now.plus_millis(strategy::promotion_delay_ms(cx.spec)),
    );
    d.event(
        EventReason::RolloutPromoted,
        format!("{new} is stable (was {old})"),
    );
    steady::steady(cx, d, Preview::None)
}

/// A pause holds the current step's analysis run as it is (it is not
/// stopped); its verdict is judged once the rollout goes on.
fn keep_step_run(cx: &Cx<'_>, d: &Draft, steps: &[CanaryStep], i: i32, runs: &mut Vec<WantedRun>) {
    let step = usize::try_from(i).ok().and_then(|i| steps.get(i));
    let Some(StepKind::Analysis(analysis)) = step.and_then(CanaryStep::kind) else {
        return;
    };
    let name = run_name(&d.current(), d.st.attempt, AnalysisKind::Step, Some(i));
    if cx.obs.analysis_runs.contains_key(&name) {
        runs.push(WantedRun {
            name,
            kind: AnalysisKind::Step,
            step: Some(i),
            spec: RunSpec::Analysis(analysis.clone()),
        });
    }
}

fn background_active(bg: &BackgroundAnalysis, i: i32, n: i32) -> bool {
    i >= bg.starting_step.unwrap_or(0) && i < n
}

/// Whether step `i` passes now.
#[allow(clippy::too_many_arguments)]
fn step_gate(
    cx: &Cx<'_>,
    d: &mut Draft,
    c: &CanaryStrategy,
    steps: &[CanaryStep],
    split: Split,
    i: i32,
    step: &CanaryStep,
    runs: &mut Vec<WantedRun>,
) -> Gate {
    let n = steps.len();
    match step.kind() {
        Some(StepKind::Pause(pause)) => match &pause.duration {
            None => {
                d.pause(
                    PauseReasonKey::CanaryPauseStep,
                    format!("paused at step {}/{n}; promote to go on", i + 1),
                );
                Gate::Hold
            }
            Some(duration) => {
                let started = *d.st.step_started_at.get_or_insert(cx.now);
                let end = started.plus_millis(duration.millis_or(0));
                if cx.now >= end {
                    return Gate::Pass;
                }
                d.pause(
                    PauseReasonKey::CanaryPauseStep,
                    format!("paused at step {}/{n} until {end}", i + 1),
                );
                d.wake_at(end);
                Gate::Hold
            }
        },
        Some(StepKind::Analysis(analysis)) => {
            let (run, gate) = judge(cx, d, AnalysisKind::Step, Some(i), analysis);
            runs.push(run);
            gate
        }
        _ => {
            let at = at_step(cx, d, c, split, targets(steps, i));
            if at.settled(cx) {
                return Gate::Pass;
            }
            d.wait(Wait::Platform(
                at.describe(cx, &format!("step {}/{n}", i + 1)),
            ));
            Gate::Hold
        }
    }
}
