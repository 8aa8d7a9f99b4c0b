//! What is notified: an engine event ([`EventReason`] and its message) with
//! the rollout it concerns and where that rollout stood.

use serin_api::RolloutStatus;
use serin_engine::EventReason;

/// One rollout event, as the sinks receive it.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// What happened.
    pub reason: EventReason,
    /// The rollout's name.
    pub rollout: String,
    /// Its namespace (`default` on one host).
    pub namespace: String,
    /// The revision being released (one host: the version, e.g. `v2`).
    pub revision: Option<String>,
    /// The index of the canary step the rollout was at (from 0), if any.
    pub step: Option<i32>,
    /// The canary's traffic weight (0–100) when it happened.
    pub weight: Option<i32>,
    /// The engine's message.
    pub message: String,
    /// When it happened.
    pub time: jiff::Timestamp,
}

impl Event {
    /// An event with no revision, step or weight.
    pub fn new(
        reason: EventReason,
        rollout: impl Into<String>,
        namespace: impl Into<String>,
        message: impl Into<String>,
        time: jiff::Timestamp,
    ) -> Self {
        Self {
            reason,
            rollout: rollout.into(),
            namespace: namespace.into(),
            revision: None,
            step: None,
            weight: None,
            message: message.into(),
            time,
        }
    }

    /// With the revision concerned.
    pub fn with_revision(mut self, revision: Option<String>) -> Self {
        self.revision = revision;
        self
    }

    /// With the step and weight of `status` (the status the pass started
    /// from: where the rollout stood when the event happened).
    pub fn at(mut self, status: &RolloutStatus) -> Self {
        self.step = status.current_step_index;
        self.weight = Some(status.traffic.canary_weight);
        self
    }

    /// `warning` or `normal`.
    pub fn severity(&self) -> &'static str {
        if is_warning(self.reason) {
            "warning"
        } else {
            "normal"
        }
    }
}

/// Whether people should look: aborts, failures, the deadline, ignored
/// commands.
pub fn is_warning(reason: EventReason) -> bool {
    matches!(
        reason,
        EventReason::RolloutAborted
            | EventReason::AnalysisFailed
            | EventReason::WebhookFailed
            | EventReason::ProgressDeadlineExceeded
            | EventReason::CommandIgnored
    )
}

/// The reason's name, as in Kubernetes Events and `serin history`.
pub(crate) fn reason_name(reason: EventReason) -> String {
    format!("{reason:?}")
}
