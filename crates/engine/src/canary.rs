//! The canary strategy: runs the steps in order, each passing only when what
//! it asks for is in effect (replicas ready and traffic read back from the
//! router), a pause has elapsed or been promoted, or its analysis is
//! Successful; then promotes the canary to stable. Traffic to the canary
//! never grows before its replicas are ready, and shrinks at once.

use std::collections::BTreeMap;

use serin_api::AnalysisPhase;
use serin_api::analysis_ref::BackgroundAnalysis;
use serin_api::canary::{CanaryStep, CanaryStrategy, StepKind};
use serin_api::routes::{HeaderRoute, MirrorRoute};
use serin_api::status::{AnalysisKind, Traffic};

use crate::analysis::{Gate, judge, run_name};
use crate::context::{Cx, Desired, Draft, PauseReasonKey, RunSpec, Wait, WantedRun, percent_of};
use crate::output::EventReason;
use crate::steady::{self, Preview};
use crate::strategy::{self, Split};
use crate::surge::{self, Pair};
use crate::webhooks;
use serin_api::webhook::WebhookType;

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

/// What a step asks for with no traffic (and no routes) to the canary yet,
/// and at least one canary replica.
fn without_traffic(t: Targets) -> Targets {
    Targets {
        weight: 0,
        header_routes: Vec::new(),
        mirror_routes: Vec::new(),
        min_canary: 1,
        ..t
    }
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

/// What the steps up to `i` ask for, folded: the weight, the canary scale,
/// the header and mirror routes. Past the last step: everything to the canary.
#[derive(Default)]
struct Targets {
    weight: i32,
    scale: Option<Scale>,
    header_routes: Vec<HeaderRoute>,
    mirror_routes: Vec<MirrorRoute>,
    /// Canary replicas asked for whatever the rest says.
    min_canary: u32,
}

#[derive(Clone, Copy)]
enum Scale {
    Replicas(u32),
    Percent(i32),
}

fn targets(steps: &[CanaryStep], i: i32) -> Targets {
    let n = i32::try_from(steps.len()).unwrap_or(i32::MAX);
    if i >= n {
        return Targets {
            weight: 100,
            scale: Some(Scale::Percent(100)),
            ..Targets::default()
        };
    }
    let mut t = Targets::default();
    for step in &steps[..=usize::try_from(i).unwrap_or(0)] {
        match step.kind() {
            Some(StepKind::SetWeight(w)) => t.weight = w.clamp(0, 100),
            Some(StepKind::SetCanaryScale(s)) => {
                t.scale = match (s.replicas, s.weight) {
                    (Some(r), _) => Some(Scale::Replicas(u32::try_from(r).unwrap_or(0))),
                    (None, Some(w)) => Some(Scale::Percent(w)),
                    (None, None) => None,
                }
            }
            Some(StepKind::SetHeaderRoute(h)) => {
                t.header_routes.retain(|r| r.name != h.name);
                if !h.matches.is_empty() {
                    t.header_routes.push(HeaderRoute {
                        name: h.name.clone(),
                        matches: h.matches.clone(),
                    });
                }
            }
            Some(StepKind::SetMirrorRoute(m)) => {
                t.mirror_routes.retain(|r| r.name != m.name);
                if !m.matches.is_empty() || m.percentage.is_some() {
                    let percentage = m.percentage.unwrap_or(100).clamp(0, 100);
                    t.mirror_routes.push(MirrorRoute {
                        name: m.name.clone(),
                        matches: m.matches.clone(),
                        percentage,
                    });
                }
            }
            _ => {}
        }
    }
    t
}

/// The world a step asks for, and whether it is held back.
struct AtStep {
    desired: Desired,
    target_weight: i32,
    /// Canary replicas the step needs ready.
    canary_want: u32,
    /// Stable replicas the step ends with.
    stable_want: u32,
    /// Held back by `maxSurge` or `maxUnavailable` (a replica split).
    limited: bool,
    held: bool,
}

impl AtStep {
    /// Replicas ready, nothing held back, and the router reports the traffic.
    fn settled(&self, cx: &Cx<'_>) -> bool {
        let canary = self.desired.traffic.canary.as_deref().unwrap_or_default();
        !self.held
            && cx.ready(canary) >= self.canary_want
            && cx.traffic() == Some(&self.desired.traffic)
    }

    fn describe(&self, cx: &Cx<'_>, what: &str) -> String {
        let canary = self.desired.traffic.canary.as_deref().unwrap_or_default();
        let stable = self.desired.traffic.stable.as_deref().unwrap_or_default();
        let ready = cx.ready(canary);
        if ready < self.canary_want {
            format!(
                "{what}: canary {canary} {ready}/{} replicas ready",
                self.canary_want
            )
        } else if self.limited && cx.ready(stable) < self.stable_want {
            format!(
                "{what}: stable {stable} {}/{} replicas ready",
                cx.ready(stable),
                self.stable_want
            )
        } else if self.limited {
            format!("{what}: replicas to move within maxSurge and maxUnavailable")
        } else if cx.traffic().map(|t| t.canary_weight) != Some(self.desired.traffic.canary_weight)
        {
            format!(
                "{what}: canary weight {} to take effect",
                self.target_weight
            )
        } else {
            format!("{what}: canary routes to take effect")
        }
    }
}

fn at_step(cx: &Cx<'_>, d: &Draft, c: &CanaryStrategy, split: Split, t: Targets) -> AtStep {
    let r = cx.replicas();
    let (stable, canary) = (d.stable(), d.current());
    let ready = cx.ready(&canary);
    let in_effect = cx
        .traffic()
        .filter(|t| t.canary.as_deref() == Some(canary.as_str()))
        .map_or(0, |t| t.canary_weight);
    let routes_wanted = !t.header_routes.is_empty() || !t.mirror_routes.is_empty();

    let mut canary_want = match t.scale {
        Some(Scale::Replicas(n)) => n,
        Some(Scale::Percent(p)) => percent_of(r, p),
        None => percent_of(r, t.weight),
    };
    if routes_wanted {
        canary_want = canary_want.max(1);
    }
    // Keep the replicas that the weight still in effect needs.
    canary_want = canary_want.max(t.min_canary).max(percent_of(r, in_effect));

    let mut weight = if t.weight <= in_effect || ready >= canary_want.max(1) {
        t.weight
    } else {
        in_effect
    };
    if ready == 0 {
        weight = 0;
    }
    let (header_routes, mirror_routes) = if ready > 0 {
        (t.header_routes.clone(), t.mirror_routes.clone())
    } else {
        (Vec::new(), Vec::new())
    };

    let target = Pair {
        stable: match split {
            Split::Router if c.dynamic_stable_scale => percent_of(r, 100 - weight.min(in_effect)),
            Split::Router => r,
            Split::Replicas => r.saturating_sub(canary_want),
        },
        canary: canary_want,
    };
    let asked = match split {
        Split::Router if c.dynamic_stable_scale => Pair {
            stable: surge::dynamic_stable(cx, c, &stable, &canary, target.stable),
            ..target
        },
        Split::Router => target,
        Split::Replicas => surge::toward(cx, c, &stable, &canary, target),
    };
    let limited = split == Split::Replicas && asked != target;
    let held = weight != t.weight || (routes_wanted && ready == 0) || limited;
    let traffic = Traffic {
        stable: Some(stable.clone()),
        canary: Some(canary.clone()),
        canary_weight: weight,
        preview: None,
        header_routes,
        mirror_routes,
    };
    AtStep {
        desired: Desired {
            replicas: BTreeMap::from([(stable, asked.stable), (canary, asked.canary)]),
            traffic,
            runs: Vec::new(),
        },
        target_weight: t.weight,
        canary_want,
        stable_want: target.stable,
        limited,
        held,
    }
}
