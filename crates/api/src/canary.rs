//! The canary strategy: steps that shift traffic to the new version and gate
//! each shift on time, a person, or analysis. Both Argo Rollouts' `steps` and
//! Flagger's `stepWeight`/`stepWeights`/`maxWeight`/`interval` forms are
//! accepted; [`CanaryStrategy::effective_steps`] turns the latter into the former.

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Duration;
use crate::analysis_ref::{BackgroundAnalysis, RolloutAnalysis};
use crate::routes::{HeaderRoutingMatch, RouteMatch};
use crate::traffic_routing::TrafficRouting;

/// Default seconds before an old version is scaled down after promotion.
pub const DEFAULT_SCALE_DOWN_DELAY_SECONDS: i32 = 30;
/// Default seconds before an aborted canary is scaled down.
pub const DEFAULT_ABORT_SCALE_DOWN_DELAY_SECONDS: i32 = 30;

/// The canary strategy.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CanaryStrategy {
    /// The steps, in order. Empty means promote as soon as the new version is ready.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<CanaryStep>,
    /// Flagger form: add this weight each `interval` until `maxWeight`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_weight: Option<i32>,
    /// Flagger form: these weights, one each `interval`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub step_weights: Vec<i32>,
    /// Flagger form: the last weight before promotion (default 100 with `stepWeight`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_weight: Option<i32>,
    /// Flagger form: time spent at each weight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<Duration>,
    /// Service selecting the stable version's pods (Kubernetes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stable_service: Option<String>,
    /// Service selecting the canary's pods (Kubernetes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary_service: Option<String>,
    /// The router(s) that split traffic by weight. Without one on Kubernetes,
    /// the split is the ratio of replicas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traffic_routing: Option<TrafficRouting>,
    /// Analysis that runs in the background from `startingStep` until promotion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis: Option<BackgroundAnalysis>,
    /// Seconds before the old version is scaled down after promotion (default 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_down_delay_seconds: Option<i32>,
    /// Seconds before an aborted canary is scaled down (default 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abort_scale_down_delay_seconds: Option<i32>,
    /// Scale the stable version down as its traffic weight falls.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dynamic_stable_scale: bool,
    /// Extra pods allowed above the desired count while updating (Kubernetes, default 25%).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_surge: Option<IntOrString>,
    /// Pods that may be unavailable while updating (Kubernetes, default 25%).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_unavailable: Option<IntOrString>,
    /// Keep a client on the version it was first given, by a cookie.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_affinity: Option<SessionAffinity>,
}

/// Keeps a client on one version while the canary weight only grows.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SessionAffinity {
    /// Name of the cookie (default `serin-affinity`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cookie_name: Option<String>,
    /// Lifetime of the cookie (default 24h).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<Duration>,
}

/// One canary step: exactly one of its fields is set.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CanaryStep {
    /// Send this percentage of traffic to the canary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_weight: Option<i32>,
    /// Wait for a duration, or until promoted when no duration is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pause: Option<Pause>,
    /// Run analysis; the step passes only when it is Successful.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis: Option<RolloutAnalysis>,
    /// Scale the canary apart from its traffic weight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_canary_scale: Option<SetCanaryScale>,
    /// Send requests matching headers or cookies to the canary whatever the weight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_header_route: Option<SetHeaderRoute>,
    /// Copy a share of matching requests to the canary; its responses are discarded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_mirror_route: Option<SetMirrorRoute>,
}

/// A pause step.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Pause {
    /// How long to wait; without it the rollout waits for `serin promote`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<Duration>,
}

/// How many canary replicas to run, apart from the traffic weight. Exactly one field.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetCanaryScale {
    /// An absolute number of replicas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    /// A percentage of `spec.replicas`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<i32>,
    /// Follow the traffic weight again (the default behaviour).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub match_traffic_weight: bool,
}

/// A named header or cookie route to the canary. No `match` removes the route.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetHeaderRoute {
    /// The route's name (listed in `trafficRouting.managedRoutes` on Kubernetes).
    pub name: String,
    /// All must match (AND).
    #[serde(default, rename = "match", skip_serializing_if = "Vec::is_empty")]
    pub matches: Vec<HeaderRoutingMatch>,
}

/// A named mirror route. No `match` removes the route.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetMirrorRoute {
    /// The route's name.
    pub name: String,
    /// Any may match (OR); each entry's conditions all match (AND).
    #[serde(default, rename = "match", skip_serializing_if = "Vec::is_empty")]
    pub matches: Vec<RouteMatch>,
    /// Percentage of matching requests copied (default 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percentage: Option<i32>,
}

/// The kind of one step, borrowed from a [`CanaryStep`] that has exactly one field.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum StepKind<'a> {
    /// `setWeight`.
    SetWeight(i32),
    /// `pause`.
    Pause(&'a Pause),
    /// `analysis`.
    Analysis(&'a RolloutAnalysis),
    /// `setCanaryScale`.
    SetCanaryScale(&'a SetCanaryScale),
    /// `setHeaderRoute`.
    SetHeaderRoute(&'a SetHeaderRoute),
    /// `setMirrorRoute`.
    SetMirrorRoute(&'a SetMirrorRoute),
}

impl CanaryStep {
    /// The names of the fields that are set.
    pub fn set_fields(&self) -> Vec<&'static str> {
        let mut set = Vec::new();
        if self.set_weight.is_some() {
            set.push("setWeight");
        }
        if self.pause.is_some() {
            set.push("pause");
        }
        if self.analysis.is_some() {
            set.push("analysis");
        }
        if self.set_canary_scale.is_some() {
            set.push("setCanaryScale");
        }
        if self.set_header_route.is_some() {
            set.push("setHeaderRoute");
        }
        if self.set_mirror_route.is_some() {
            set.push("setMirrorRoute");
        }
        set
    }

    /// The step's kind: the first field set, in declaration order (a valid
    /// step has exactly one); `None` for an empty step.
    pub fn kind(&self) -> Option<StepKind<'_>> {
        if let Some(w) = self.set_weight {
            return Some(StepKind::SetWeight(w));
        }
        if let Some(p) = &self.pause {
            return Some(StepKind::Pause(p));
        }
        if let Some(a) = &self.analysis {
            return Some(StepKind::Analysis(a));
        }
        if let Some(s) = &self.set_canary_scale {
            return Some(StepKind::SetCanaryScale(s));
        }
        if let Some(h) = &self.set_header_route {
            return Some(StepKind::SetHeaderRoute(h));
        }
        self.set_mirror_route.as_ref().map(StepKind::SetMirrorRoute)
    }

    /// A `setWeight` step.
    pub fn weight(w: i32) -> Self {
        Self {
            set_weight: Some(w),
            ..Self::default()
        }
    }

    /// A `pause` step; `None` waits for promotion.
    pub fn pause(duration: Option<Duration>) -> Self {
        Self {
            pause: Some(Pause { duration }),
            ..Self::default()
        }
    }
}

impl CanaryStrategy {
    /// The steps to run: `steps` as written, or the Flagger form expanded to
    /// `setWeight w, pause interval` for each weight.
    pub fn effective_steps(&self) -> Vec<CanaryStep> {
        if !self.steps.is_empty() {
            return self.steps.clone();
        }
        let weights: Vec<i32> = if !self.step_weights.is_empty() {
            self.step_weights.clone()
        } else if let Some(step) = self.step_weight.filter(|s| *s > 0) {
            let max = self.max_weight.unwrap_or(100).clamp(0, 100);
            (1..).map(|k| k * step).take_while(|w| *w <= max).collect()
        } else {
            Vec::new()
        };
        let interval = self
            .interval
            .clone()
            .unwrap_or_else(|| Duration::from_secs(60));
        weights
            .into_iter()
            .flat_map(|w| {
                [
                    CanaryStep::weight(w),
                    CanaryStep::pause(Some(interval.clone())),
                ]
            })
            .collect()
    }

    /// Whether a router splits traffic by weight (otherwise replicas do).
    pub fn has_traffic_routing(&self) -> bool {
        self.traffic_routing.is_some()
    }

    /// `scaleDownDelaySeconds` in milliseconds, defaulted.
    pub fn scale_down_delay_ms(&self) -> u64 {
        secs_ms(
            self.scale_down_delay_seconds,
            DEFAULT_SCALE_DOWN_DELAY_SECONDS,
        )
    }

    /// `abortScaleDownDelaySeconds` in milliseconds, defaulted.
    pub fn abort_scale_down_delay_ms(&self) -> u64 {
        secs_ms(
            self.abort_scale_down_delay_seconds,
            DEFAULT_ABORT_SCALE_DOWN_DELAY_SECONDS,
        )
    }
}

/// Seconds (or a default) as milliseconds, negative as zero.
pub(crate) fn secs_ms(secs: Option<i32>, default: i32) -> u64 {
    u64::try_from(secs.unwrap_or(default)).unwrap_or(0) * 1000
}
