//! The inputs of one planning pass ([`Cx`]: spec, observation, time, all
//! read-only) and what the pass is building ([`Draft`]: the new status, the
//! events, the earliest timer, what the rollout waits on). Strategies return
//! a [`Desired`] world that `reconcile` turns into actions.

use std::collections::{BTreeMap, BTreeSet};

use serin_api::analysis_ref::RolloutAnalysis;
use serin_api::status::{AnalysisKind, AnalysisSummary, PauseReason, ScaleDown, Traffic};
use serin_api::webhook::{Webhook, WebhookPayload};
use serin_api::{AnalysisPhase, RolloutSpec, RolloutStatus, Time};

use crate::observed::Observed;
use crate::output::{Action, EventReason};

/// Read-only inputs of a pass.
pub(crate) struct Cx<'a> {
    pub spec: &'a RolloutSpec,
    pub obs: &'a Observed,
    pub now: Time,
}

impl Cx<'_> {
    /// `spec.replicas`, defaulted.
    pub fn replicas(&self) -> u32 {
        self.spec.replicas()
    }

    /// Ready replicas of a revision.
    pub fn ready(&self, revision: &str) -> u32 {
        self.obs.ready(revision)
    }

    /// The observed phase of an analysis run, `None` when it does not exist yet.
    pub fn run_phase(&self, name: &str) -> Option<AnalysisPhase> {
        self.obs.analysis_runs.get(name).map(|r| r.phase)
    }

    /// The traffic read back from the router, if any.
    pub fn traffic(&self) -> Option<&Traffic> {
        self.obs.traffic.as_ref()
    }

    /// Whether the spec pauses the rollout (`spec.paused`).
    pub fn spec_paused(&self) -> bool {
        self.spec.paused
    }
}

/// What a rollout is waiting on at the end of a pass.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Wait {
    /// Nothing: the rollout is settled.
    Nothing,
    /// The platform: replicas to become ready, traffic to take effect, a run to start.
    Platform(String),
    /// A pause (timed, indefinite, inconclusive analysis, or a person's).
    Pause(String),
    /// A running analysis.
    Analysis(String),
    /// Nothing, because the release was aborted.
    Aborted,
}

impl Wait {
    /// Which wait wins when several apply: a pause over the platform over a
    /// running analysis.
    fn priority(&self) -> u8 {
        match self {
            Self::Nothing => 0,
            Self::Analysis(_) => 1,
            Self::Platform(_) => 2,
            Self::Pause(_) => 3,
            Self::Aborted => 4,
        }
    }

    /// A short label, part of the progress fingerprint.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Nothing => "settled",
            Self::Platform(_) => "platform",
            Self::Pause(_) => "pause",
            Self::Analysis(_) => "analysis",
            Self::Aborted => "aborted",
        }
    }

    /// What is awaited, for a person.
    pub fn describe(&self) -> Option<&str> {
        match self {
            Self::Platform(s) | Self::Pause(s) | Self::Analysis(s) => Some(s),
            Self::Nothing | Self::Aborted => None,
        }
    }
}

/// An analysis run the rollout needs now.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct WantedRun {
    pub name: String,
    pub kind: AnalysisKind,
    pub step: Option<i32>,
    pub spec: RunSpec,
}

/// What a wanted run runs.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum RunSpec {
    /// Analysis templates and arguments.
    Analysis(RolloutAnalysis),
    /// A webhook call (or calls, for a webhook that polls).
    Webhook(Box<(Webhook, WebhookPayload)>),
}

/// The world the strategy wants now.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Desired {
    /// Replicas of each revision to keep; any other revision is retired.
    pub replicas: BTreeMap<String, u32>,
    /// Traffic to ask the router for.
    pub traffic: Traffic,
    /// Analysis runs that must exist and run.
    pub runs: Vec<WantedRun>,
}

/// The status being built and what the pass found.
pub(crate) struct Draft {
    pub st: RolloutStatus,
    pub actions: Vec<Action>,
    pub events: Vec<Action>,
    pub wake: Option<Time>,
    pub wait: Wait,
    pub pauses: BTreeSet<PauseReasonKey>,
}

/// A [`PauseReason`] with an order, for sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum PauseReasonKey {
    PausedByUser,
    CanaryPauseStep,
    BlueGreenPause,
    InconclusiveAnalysis,
}

impl PauseReasonKey {
    pub fn reason(self) -> PauseReason {
        match self {
            Self::PausedByUser => PauseReason::PausedByUser,
            Self::CanaryPauseStep => PauseReason::CanaryPauseStep,
            Self::BlueGreenPause => PauseReason::BlueGreenPause,
            Self::InconclusiveAnalysis => PauseReason::InconclusiveAnalysis,
        }
    }
}

impl Draft {
    pub fn new(st: RolloutStatus) -> Self {
        Self {
            st,
            actions: Vec::new(),
            events: Vec::new(),
            wake: None,
            wait: Wait::Nothing,
            pauses: BTreeSet::new(),
        }
    }

    /// Reports something to people.
    pub fn event(&mut self, reason: EventReason, message: impl Into<String>) {
        self.events.push(Action::Event {
            reason,
            message: message.into(),
        });
    }

    /// Plan again by `at` at the latest.
    pub fn wake_at(&mut self, at: Time) {
        self.wake = Some(self.wake.map_or(at, |w| w.min(at)));
    }

    /// Waits on something; of several, the one of highest priority (then
    /// the first) wins.
    pub fn wait(&mut self, wait: Wait) {
        if wait.priority() > self.wait.priority() {
            self.wait = wait;
        }
    }

    /// Pauses for a reason.
    pub fn pause(&mut self, key: PauseReasonKey, why: impl Into<String>) {
        self.pauses.insert(key);
        self.wait(Wait::Pause(why.into()));
    }

    /// Whether the release is aborted.
    pub fn aborted(&self) -> bool {
        self.st.aborted_at.is_some()
    }

    /// The revision being released.
    pub fn current(&self) -> String {
        self.st.current_revision.clone().unwrap_or_default()
    }

    /// The stable revision.
    pub fn stable(&self) -> String {
        self.st.stable_revision.clone().unwrap_or_default()
    }

    /// Whether a release is under way (current differs from stable).
    pub fn releasing(&self) -> bool {
        self.st.current_revision != self.st.stable_revision
    }

    /// Aborts the release: all traffic back to stable now, the new version
    /// scaled down after `delay_ms`, running analysis stopped.
    pub fn abort(&mut self, now: Time, delay_ms: u64, reason: impl Into<String>) {
        if self.aborted() || !self.releasing() {
            return;
        }
        let reason = reason.into();
        self.st.aborted_at = Some(now);
        self.st.abort_reason = Some(reason.clone());
        self.schedule_scale_down(&self.current(), now.plus_millis(delay_ms));
        if let Some(bg) = self.st.blue_green.as_mut() {
            bg.promote_requested = false;
        }
        self.event(EventReason::RolloutAborted, reason);
    }

    /// Scales `revision` down at `at` (keeps an earlier time already set).
    pub fn schedule_scale_down(&mut self, revision: &str, at: Time) {
        match self
            .st
            .scale_downs
            .iter_mut()
            .find(|s| s.revision == revision)
        {
            Some(existing) => existing.at = existing.at.min(at),
            None => self.st.scale_downs.push(ScaleDown {
                revision: revision.to_string(),
                at,
            }),
        }
    }

    /// The verdict of a run as the engine sees it: a run a person promoted
    /// past counts as Successful.
    pub fn run_verdict(&self, cx: &Cx<'_>, name: &str) -> Option<AnalysisPhase> {
        let skipped = self.st.analysis.iter().any(|a| a.name == name && a.skipped);
        if skipped {
            Some(AnalysisPhase::Successful)
        } else {
            cx.run_phase(name)
        }
    }

    /// Marks a run that a person promoted past.
    pub fn skip_run(&mut self, name: &str, kind: AnalysisKind, step: Option<i32>) {
        match self.st.analysis.iter_mut().find(|a| a.name == name) {
            Some(summary) => summary.skipped = true,
            None => self.st.analysis.push(AnalysisSummary {
                name: name.to_string(),
                kind,
                step,
                phase: AnalysisPhase::Pending,
                message: None,
                skipped: true,
            }),
        }
    }
}

/// `ceil(total * percent / 100)`.
pub(crate) fn percent_of(total: u32, percent: i32) -> u32 {
    let percent = u64::try_from(percent.clamp(0, 100)).unwrap_or(0);
    u32::try_from((u64::from(total) * percent).div_ceil(100)).unwrap_or(u32::MAX)
}
