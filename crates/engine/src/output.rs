//! What the engine decides: a [`Plan`] of [`Action`]s for the platform to
//! apply in order, the status to write back, and when to look again.

use serde::{Deserialize, Serialize};
use serin_api::RolloutStatus;
use serin_api::analysis_ref::RolloutAnalysis;
use serin_api::status::{AnalysisKind, Traffic};
use serin_api::webhook::{Webhook, WebhookPayload};

/// The result of one planning pass.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// Actions, in the order they must be applied.
    pub actions: Vec<Action>,
    /// The status to write back once the actions are applied.
    pub status: RolloutStatus,
    /// Plan again after this many milliseconds at the latest (a timer is due).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requeue_after_ms: Option<u64>,
}

/// One thing for the platform to do. Every action states a desired state, so
/// applying it twice is harmless.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "action", rename_all = "camelCase")]
pub enum Action {
    /// Make the router send traffic this way.
    SetTraffic {
        /// The traffic wanted.
        traffic: Traffic,
    },
    /// Run this many replicas of a revision (0 removes them).
    Scale {
        /// The revision.
        revision: String,
        /// Replicas wanted.
        replicas: u32,
    },
    /// Create and run an analysis run unless it exists.
    StartAnalysis {
        /// The run's name, unique per rollout.
        name: String,
        /// Why it runs.
        kind: AnalysisKind,
        /// The step it gates.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<i32>,
        /// Its templates and arguments.
        analysis: RolloutAnalysis,
    },
    /// Call a webhook unless a call of this name exists; its outcome comes
    /// back as the run of the same name (Successful on a 2xx). A webhook that
    /// polls (`confirm-promotion`, `rollback`) is asked again until a 2xx or
    /// a `StopAnalysis`. A `post-rollout` call is made once and its outcome
    /// is only recorded: the platform does not report it as a run.
    CallWebhook {
        /// The call's name, unique per rollout.
        name: String,
        /// The webhook.
        webhook: Webhook,
        /// What it is sent.
        payload: WebhookPayload,
    },
    /// Stop a running analysis run or a polling webhook (its verdict so far is kept).
    StopAnalysis {
        /// The run's name.
        name: String,
    },
    /// Run this many replicas of the workload `spec.workloadRef` points at
    /// (its `scaleDown`: only ever fewer than it runs).
    ScaleWorkload {
        /// Replicas wanted.
        replicas: u32,
    },
    /// Put every routing object back as it was before serin wrote it (the
    /// rollout is being deleted and all traffic is on stable).
    RestoreRouting,
    /// Everything the rollout held is given back: let it go (on Kubernetes,
    /// remove serin's finalizer). Always the last action of its plan.
    Finalize,
    /// Delete these finished analysis runs of past releases (beyond
    /// `spec.analysis`'s history limits); none is running or used by the
    /// current release.
    DeleteAnalysisRuns {
        /// The runs' names.
        names: Vec<String>,
    },
    /// Delete what is kept of these revisions (on Kubernetes, their
    /// ReplicaSets): the oldest idle ones beyond `revisionHistoryLimit`,
    /// none that the status refers to.
    DeleteRevisions {
        /// The revisions.
        revisions: Vec<String>,
    },
    /// Make the spec ask for this revision (undo).
    SetDesiredRevision {
        /// The revision.
        revision: String,
    },
    /// Tell people (an event, a notification, a history entry).
    Event {
        /// What happened.
        reason: EventReason,
        /// Details.
        message: String,
    },
}

/// What an [`Action::Event`] reports.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventReason {
    /// A new revision is being released.
    RolloutStarted,
    /// A canary step passed.
    StepCompleted,
    /// The rollout paused.
    RolloutPaused,
    /// The rollout resumed.
    RolloutResumed,
    /// The release was aborted.
    RolloutAborted,
    /// The release was promoted; the new revision is stable.
    RolloutPromoted,
    /// The stable revision is released again, without steps.
    RolloutRolledBack,
    /// Blue-green switched active traffic.
    TrafficSwitched,
    /// An analysis run failed or erred.
    AnalysisFailed,
    /// A webhook failed, or a rollback webhook asked to roll back.
    WebhookFailed,
    /// An analysis run was inconclusive.
    AnalysisInconclusive,
    /// The progress deadline passed.
    ProgressDeadlineExceeded,
    /// A command was carried out.
    CommandAccepted,
    /// A command could not be carried out in the current state.
    CommandIgnored,
}
