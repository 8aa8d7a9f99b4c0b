//! The status of a Rollout: where the release stands (phase, step, revisions,
//! traffic, pauses, analysis verdicts, conditions) and the little state the
//! engine keeps between observations (when a step or pause started, when an
//! old version may be scaled down, the last command handled). Written back to
//! the source of truth after every plan, so that a restarted controller
//! resumes exactly where it was.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Time;
use crate::analysis::AnalysisPhase;
use crate::routes::{HeaderRoute, MirrorRoute};

/// The status of a Rollout.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RolloutStatus {
    /// Where the rollout stands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<RolloutPhase>,
    /// What is happening or why it stopped, for a person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The `metadata.generation` this status reflects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Index of the canary step being run; equal to the number of steps once
    /// all are done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_step_index: Option<i32>,
    /// `index/count`, for `kubectl get`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_display: Option<String>,
    /// When the current step (or blue-green stage) started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_started_at: Option<Time>,
    /// The revision that has all production traffic when no release is under way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stable_revision: Option<String>,
    /// The revision being released (equal to stable when none is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_revision: Option<String>,
    /// Revisions seen, oldest first, numbered for `undo --to-revision`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub revisions: Vec<RevisionRecord>,
    /// The traffic the engine asks for.
    #[serde(default)]
    pub traffic: Traffic,
    /// Whether the router reported `traffic` as in effect.
    #[serde(default)]
    pub traffic_verified: bool,
    /// Why the rollout is paused, if it is.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pause_conditions: Vec<PauseCondition>,
    /// Set while paused by `serin pause` (`spec.paused` pauses too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_paused_at: Option<Time>,
    /// Set while the release is aborted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aborted_at: Option<Time>,
    /// Why the release was aborted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abort_reason: Option<String>,
    /// Skip the remaining steps and analysis (`serin promote --full`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub promote_full: bool,
    /// Counts releases and retries; part of the names of analysis runs, so
    /// a revision released again never meets its old runs.
    #[serde(default)]
    pub attempt: i32,
    /// Analysis runs of the current release and their verdicts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub analysis: Vec<AnalysisSummary>,
    /// Blue-green progress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blue_green: Option<BlueGreenStatus>,
    /// Old versions waiting to be scaled down, and when.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scale_downs: Vec<ScaleDown>,
    /// When the rollout last made progress (for the progress deadline).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress_at: Option<Time>,
    /// A fingerprint of the progress last seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress_marker: Option<String>,
    /// The last command handled (commands carry increasing ids).
    #[serde(default)]
    pub last_command_id: i64,
    /// Standard conditions: Progressing, Available, Paused, Healthy, Completed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// Replicas of all versions.
    #[serde(default)]
    pub replicas: i32,
    /// Replicas of the current revision.
    #[serde(default)]
    pub updated_replicas: i32,
    /// Ready replicas of all versions.
    #[serde(default)]
    pub ready_replicas: i32,
    /// Ready replicas of the stable revision, or of the current one once promoted.
    #[serde(default)]
    pub available_replicas: i32,
    /// Label selector as text, for the scale subresource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<String>,
}

/// Where a rollout stands.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum RolloutPhase {
    /// A release is under way.
    Progressing,
    /// A release waits for a person, a timed pause or an inconclusive analysis.
    Paused,
    /// The stable version serves all traffic and no release is under way.
    Healthy,
    /// The release was aborted; all traffic is on the stable version.
    Aborted,
    /// The release is stuck past its progress deadline, or the stable version is unhealthy.
    Degraded,
}

/// A revision seen by the rollout.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RevisionRecord {
    /// Its number, increasing.
    pub number: i64,
    /// Its identity: a pod-template hash, or a version on one host.
    pub revision: String,
}

/// Traffic between versions, as asked for or as read back from a router.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Traffic {
    /// The revision behind the stable (blue-green: active) arm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stable: Option<String>,
    /// The revision behind the canary arm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary: Option<String>,
    /// Percentage of traffic to the canary arm, 0..=100; the stable arm has the rest.
    #[serde(default)]
    pub canary_weight: i32,
    /// The revision behind the blue-green preview.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview: Option<String>,
    /// Header and cookie routes to the canary.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub header_routes: Vec<HeaderRoute>,
    /// Mirror routes to the canary.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mirror_routes: Vec<MirrorRoute>,
}

impl Traffic {
    /// Whether `revision` receives any production traffic here.
    pub fn serves(&self, revision: &str) -> bool {
        let stable = self.stable.as_deref() == Some(revision) && self.canary_weight < 100;
        let canary = self.canary.as_deref() == Some(revision)
            && (self.canary_weight > 0
                || !self.header_routes.is_empty()
                || !self.mirror_routes.is_empty());
        stable || canary
    }

    /// Whether `revision` is behind any arm (production, preview or routes).
    pub fn references(&self, revision: &str) -> bool {
        [&self.stable, &self.canary, &self.preview]
            .iter()
            .any(|r| r.as_deref() == Some(revision))
    }
}

/// Why a rollout is paused.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PauseCondition {
    /// The reason.
    pub reason: PauseReason,
    /// Since when.
    pub start_time: Time,
}

/// The reasons a rollout pauses.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum PauseReason {
    /// A canary `pause` step.
    CanaryPauseStep,
    /// Blue-green waits for promotion.
    BlueGreenPause,
    /// An analysis was inconclusive.
    InconclusiveAnalysis,
    /// `serin pause` or `spec.paused`.
    PausedByUser,
}

/// One analysis run and its verdict.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AnalysisSummary {
    /// The run's name.
    pub name: String,
    /// Why it runs.
    pub kind: AnalysisKind,
    /// The step it gates, for step analysis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<i32>,
    /// Its verdict so far.
    pub phase: AnalysisPhase,
    /// Why, for a person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Promoted past by a person (it was Inconclusive or still running).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub skipped: bool,
}

/// Why an analysis runs.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum AnalysisKind {
    /// A canary `analysis` step.
    Step,
    /// Canary background analysis.
    Background,
    /// Blue-green, before the switch.
    PrePromotion,
    /// Blue-green, after the switch.
    PostPromotion,
    /// A webhook call.
    Webhook,
}

/// Blue-green progress of the current release.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BlueGreenStatus {
    /// When the preview first had all its replicas ready.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview_ready_at: Option<Time>,
    /// When the release reached the promotion gate (analysis passed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate_at: Option<Time>,
    /// `serin promote` was asked for at the gate.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub promote_requested: bool,
    /// When active traffic was switched to the new version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub switched_at: Option<Time>,
}

/// An old version to scale down at a time.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScaleDown {
    /// The revision.
    pub revision: String,
    /// Not before this time.
    pub at: Time,
}

/// A standard condition.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    /// Progressing, Available, Paused, Healthy or Completed.
    #[serde(rename = "type")]
    pub type_: String,
    /// `True`, `False` or `Unknown`.
    pub status: String,
    /// A CamelCase reason.
    pub reason: String,
    /// For a person.
    #[serde(default)]
    pub message: String,
    /// When `status` last changed.
    pub last_transition_time: Time,
}
