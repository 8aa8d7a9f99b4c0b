//! The world one canary step asks for: the steps so far folded into a
//! weight, a canary scale and routes ([`Targets`]), and the replicas and
//! traffic that follow ([`AtStep`]). The weight never grows before the
//! canary's replicas are ready; on a replica split the counts move within
//! `maxSurge` and `maxUnavailable` (see `surge`), and a step is in effect
//! only at its ratio.

use std::collections::BTreeMap;

use serin_api::canary::{CanaryStep, CanaryStrategy, StepKind};
use serin_api::routes::{HeaderRoute, MirrorRoute};
use serin_api::routes_in_effect::RoutesInEffect;
use serin_api::status::Traffic;

use crate::context::{Cx, Desired, Draft, percent_of};
use crate::strategy::Split;
use crate::surge::{self, Pair};

/// What a step asks for with no traffic (and no routes) to the canary yet:
/// its replicas, at least one.
pub(super) fn without_traffic(t: Targets) -> Targets {
    Targets { hidden: true, ..t }
}

/// What the steps up to `i` ask for, folded: the weight, the canary scale,
/// the header and mirror routes. Past the last step: everything to the canary.
#[derive(Default)]
pub(super) struct Targets {
    weight: i32,
    scale: Option<Scale>,
    header_routes: Vec<HeaderRoute>,
    mirror_routes: Vec<MirrorRoute>,
    /// No traffic nor routes to the canary yet, whatever the rest says.
    hidden: bool,
}

#[derive(Clone, Copy)]
enum Scale {
    Replicas(u32),
    Percent(i32),
}

/// Folds the steps up to `i` (all of them and promotion past the last); the
/// routes through `RoutesInEffect`, the walk the spec check shares.
pub(super) fn targets(steps: &[CanaryStep], i: i32) -> Targets {
    let n = i32::try_from(steps.len()).unwrap_or(i32::MAX);
    if i >= n {
        return Targets {
            weight: 100,
            scale: Some(Scale::Percent(100)),
            ..Targets::default()
        };
    }
    let mut t = Targets::default();
    let mut routes = RoutesInEffect::default();
    for (k, step) in steps[..=usize::try_from(i).unwrap_or(0)].iter().enumerate() {
        let kind = step.kind();
        if routes.step(k, kind) {
            continue;
        }
        match kind {
            Some(StepKind::SetWeight(w)) => t.weight = w.clamp(0, 100),
            Some(StepKind::SetCanaryScale(s)) => {
                t.scale = match (s.replicas, s.weight) {
                    (Some(r), _) => Some(Scale::Replicas(u32::try_from(r).unwrap_or(0))),
                    (None, Some(w)) => Some(Scale::Percent(w)),
                    (None, None) => None,
                }
            }
            _ => {}
        }
    }
    t.header_routes = routes.header_routes();
    t.mirror_routes = routes.mirror_routes();
    t
}

/// The world a step asks for, and whether it is held back.
pub(super) struct AtStep {
    /// The replicas, traffic (and no runs) the step wants now.
    pub desired: Desired,
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
    pub(super) fn settled(&self, cx: &Cx<'_>) -> bool {
        let canary = self.desired.traffic.canary.as_deref().unwrap_or_default();
        !self.held
            && cx.ready(canary) >= self.canary_want
            && cx.traffic() == Some(&self.desired.traffic)
    }

    pub(super) fn describe(&self, cx: &Cx<'_>, what: &str) -> String {
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

pub(super) fn at_step(
    cx: &Cx<'_>,
    d: &Draft,
    c: &CanaryStrategy,
    split: Split,
    t: Targets,
) -> AtStep {
    let r = cx.replicas();
    let (stable, canary) = (d.stable(), d.current());
    let ready = cx.ready(&canary);
    let in_effect = cx
        .traffic()
        .filter(|t| t.canary.as_deref() == Some(canary.as_str()))
        .map_or(0, |t| t.canary_weight);
    let routes_wanted = !t.header_routes.is_empty() || !t.mirror_routes.is_empty();
    let exposed = ready > 0 && !t.hidden;

    let mut canary_want = match t.scale {
        Some(Scale::Replicas(n)) => n,
        Some(Scale::Percent(p)) => percent_of(r, p),
        None => percent_of(r, t.weight),
    };
    if routes_wanted || t.hidden {
        canary_want = canary_want.max(1);
    }
    // Keep the replicas that the weight still in effect needs.
    canary_want = canary_want.max(percent_of(r, in_effect));

    let mut weight = if t.weight <= in_effect || ready >= canary_want.max(1) {
        t.weight
    } else {
        in_effect
    };
    if !exposed {
        weight = 0;
    }
    let (header_routes, mirror_routes) = if exposed {
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
