//! The analysis judges that compare canary against stable from request
//! counts. Today: the sequential judge (`SequentialJudge`), an anytime-valid
//! mixture sequential probability ratio test on per-arm error counts, or on
//! per-arm counts of requests slower than the stable's latency quantile.
//! Pure code — no clock, no I/O — whose state is a few numbers the analysis
//! runner stores in a measurement (`resume`, `outcome`). The mathematics and its assumptions are in
//! `docs/analysis.md`.

mod config;
mod counters;
mod errors;
mod latency;
mod mixture;
mod sequential;
mod stored;

use serde::{Deserialize, Serialize};
use serin_api::AnalysisPhase;

pub use config::{
    DEFAULT_ALPHA, DEFAULT_LATENCY_QUANTILE, DEFAULT_MAX_SAMPLES, DEFAULT_MIN_EFFECT, JudgeConfig,
};
pub use counters::Readings;
pub use errors::{ConfigError, StateError};
pub use latency::{Bucket, quantile_bound, slow_requests};
pub use sequential::{ArmTotals, Evidence, SequentialJudge};

/// One arm's counts since the last look.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ArmDelta {
    /// Requests served by the arm.
    pub requests: u64,
    /// Of those, the events counted: failed requests (errors test) or
    /// requests slower than the threshold (latency test).
    pub events: u64,
}

impl ArmDelta {
    /// `requests` requests of which `events` were events.
    pub fn new(requests: u64, events: u64) -> Self {
        Self { requests, events }
    }

    /// The same counts with events no more than requests.
    fn capped(self) -> Self {
        Self {
            requests: self.requests,
            events: self.events.min(self.requests),
        }
    }
}

/// A judge's answer after a look.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// Not enough evidence either way yet: keep going.
    #[default]
    Running,
    /// The degradation worth catching is ruled out (or, at `maxSamples`, the
    /// canary looks closer to stable than to it).
    Successful,
    /// A degradation is shown, with false alarm probability at most alpha.
    Failed,
    /// `maxSamples` reached without a decision and the canary looks closer to
    /// the degradation than to stable: a person decides.
    Inconclusive,
}

impl Verdict {
    /// Whether the judge has stopped.
    pub fn is_final(self) -> bool {
        self != Self::Running
    }

    /// The analysis phase this verdict gives the metric.
    pub fn phase(self) -> AnalysisPhase {
        match self {
            Self::Running => AnalysisPhase::Running,
            Self::Successful => AnalysisPhase::Successful,
            Self::Failed => AnalysisPhase::Failed,
            Self::Inconclusive => AnalysisPhase::Inconclusive,
        }
    }
}
