//! Facts about the spec's strategy that every part of the engine asks:
//! which strategy, its delays, where its steps start and end, and whether a
//! router splits traffic by weight or replicas do.

use std::sync::LazyLock;

use serin_api::RolloutSpec;
use serin_api::bluegreen::BlueGreenStrategy;
use serin_api::canary::CanaryStrategy;

/// The strategy of a spec. A spec with neither is planned as a canary with no steps.
pub(crate) enum Shape<'a> {
    Canary(&'a CanaryStrategy),
    BlueGreen(&'a BlueGreenStrategy),
}

/// The canary of a spec that names no strategy.
static NO_STEPS: LazyLock<CanaryStrategy> = LazyLock::new(CanaryStrategy::default);

/// The strategy of `spec`.
pub(crate) fn shape(spec: &RolloutSpec) -> Shape<'_> {
    match (&spec.strategy.blue_green, &spec.strategy.canary) {
        (Some(bg), None) => Shape::BlueGreen(bg),
        (_, Some(c)) => Shape::Canary(c),
        (None, None) => Shape::Canary(&NO_STEPS),
    }
}

/// Delay before an aborted or replaced version is scaled down.
pub(crate) fn abort_delay_ms(spec: &RolloutSpec) -> u64 {
    match shape(spec) {
        Shape::Canary(c) => c.abort_scale_down_delay_ms(),
        Shape::BlueGreen(bg) => bg.abort_scale_down_delay_ms(),
    }
}

/// Delay before the previous stable version is scaled down after promotion.
pub(crate) fn promotion_delay_ms(spec: &RolloutSpec) -> u64 {
    match shape(spec) {
        Shape::Canary(c) if c.has_traffic_routing() || spec.local.is_some() => {
            c.scale_down_delay_ms()
        }
        Shape::Canary(_) => 0,
        Shape::BlueGreen(bg) => bg.scale_down_delay_ms(),
    }
}

/// The step index of a release that has just started.
pub(crate) fn first_step_index(spec: &RolloutSpec) -> Option<i32> {
    match shape(spec) {
        Shape::Canary(_) => Some(0),
        Shape::BlueGreen(_) => None,
    }
}

/// The step index once every step is done.
pub(crate) fn steps_done_index(spec: &RolloutSpec) -> Option<i32> {
    match shape(spec) {
        Shape::Canary(c) => Some(i32::try_from(c.effective_steps().len()).unwrap_or(i32::MAX)),
        Shape::BlueGreen(_) => None,
    }
}

/// How a canary's share of traffic is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Split {
    /// A router sends a weight to each version (serin's proxy, NGINX, Istio, ...).
    Router,
    /// Plain Kubernetes: the share is the ratio of replicas.
    Replicas,
}

/// The split a canary spec uses.
pub(crate) fn split(spec: &RolloutSpec, canary: &CanaryStrategy) -> Split {
    if spec.local.is_some() || canary.has_traffic_routing() {
        Split::Router
    } else {
        Split::Replicas
    }
}
