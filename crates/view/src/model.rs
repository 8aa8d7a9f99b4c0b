//! The view struct and how it is built from spec, status and numbers.

use serde::{Deserialize, Serialize};
use serin_api::status::PauseReason;
use serin_api::{RolloutSpec, RolloutStatus, Time};

use crate::analysis::{self, AnalysisView, RunInput};
use crate::steps;

/// What [`build`] reads.
#[derive(Clone, Debug)]
pub struct Inputs<'a> {
    /// The rollout's name.
    pub name: &'a str,
    /// Its spec.
    pub spec: &'a RolloutSpec,
    /// Its status as last written.
    pub status: &'a RolloutStatus,
    /// The version it asks for.
    pub desired_revision: &'a str,
    /// Numbers per proxy arm.
    pub arms: Vec<ArmNumbers>,
    /// The analysis runs as stored, by the names the status gives them
    /// (a run of the status not here is shown with its verdict only).
    pub runs: Vec<RunInput<'a>>,
    /// Now.
    pub now: Time,
}

/// Requests, errors and latency of one proxy arm over the last seconds.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ArmNumbers {
    /// `stable`, `canary`, `preview` (or `shadow`).
    pub arm: String,
    /// The version behind it.
    pub version: String,
    /// Requests per second.
    pub requests_per_second: f64,
    /// Share of requests that failed (5xx or no answer), when any were made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_rate: Option<f64>,
    /// 99th percentile latency in milliseconds, when any were made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p99_ms: Option<f64>,
}

/// One canary step.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct StepView {
    /// From 0.
    pub index: usize,
    /// `setWeight 20`, `pause 30s`, `pause (until promoted)`, `analysis errors`.
    pub text: String,
    /// Passed.
    pub done: bool,
    /// The step being run.
    pub current: bool,
}

/// Everything a person looks at for one rollout.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RolloutView {
    /// The rollout's name.
    pub name: String,
    /// `canary` or `blueGreen`.
    pub strategy: String,
    /// `Healthy`, `Progressing`, `Paused`, `Aborted`, `Degraded` (empty before the first pass).
    pub phase: String,
    /// What is happening, for a person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The version asked for.
    pub desired_revision: String,
    /// The stable (blue-green: active) version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stable: Option<String>,
    /// The canary version, while one is released.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary: Option<String>,
    /// The blue-green preview version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview: Option<String>,
    /// Percent of traffic asked for the canary.
    pub canary_weight: i32,
    /// Whether the proxy reported that traffic as in effect.
    pub traffic_verified: bool,
    /// `current/count`, for canary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_display: Option<String>,
    /// The canary steps.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<StepView>,
    /// Time left in a timed pause, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pause_left_ms: Option<u64>,
    /// Why it is paused.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paused: Vec<String>,
    /// Analysis runs of the current release.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub analysis: Vec<AnalysisView>,
    /// Per-arm numbers from the proxy.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arms: Vec<ArmNumbers>,
    /// Why the release was aborted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abort_reason: Option<String>,
}

/// Builds the view. Pure: no clock, no I/O.
pub fn build(inputs: Inputs<'_>) -> RolloutView {
    let Inputs {
        name,
        spec,
        status,
        desired_revision,
        arms,
        runs,
        now,
    } = inputs;
    let strategy = if spec.strategy.blue_green.is_some() {
        "blueGreen"
    } else {
        "canary"
    };
    let (steps, pause_left_ms) = match &spec.strategy.canary {
        Some(c) => steps::canary(c, status, now),
        None => (Vec::new(), None),
    };
    RolloutView {
        name: name.to_owned(),
        strategy: strategy.to_owned(),
        phase: status.phase.map(|p| format!("{p:?}")).unwrap_or_default(),
        message: status.message.clone(),
        desired_revision: desired_revision.to_owned(),
        stable: status.stable_revision.clone(),
        canary: status.traffic.canary.clone(),
        preview: status.traffic.preview.clone(),
        canary_weight: status.traffic.canary_weight,
        traffic_verified: status.traffic_verified,
        step_display: status.step_display.clone(),
        steps,
        pause_left_ms,
        paused: status
            .pause_conditions
            .iter()
            .map(|p| match p.reason {
                PauseReason::CanaryPauseStep => "pause step".to_owned(),
                PauseReason::BlueGreenPause => "waiting for promotion".to_owned(),
                PauseReason::InconclusiveAnalysis => "inconclusive analysis".to_owned(),
                PauseReason::PausedByUser => "paused by a person".to_owned(),
            })
            .collect(),
        analysis: status
            .analysis
            .iter()
            .map(|a| analysis::of(a, runs.iter().find(|r| r.name == a.name)))
            .collect(),
        arms,
        abort_reason: status.abort_reason.clone(),
    }
}
