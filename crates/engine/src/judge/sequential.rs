//! `SequentialJudge`: the state of one sequential metric (running totals per
//! arm and the log likelihood ratios of the mixture), updated from per-arm
//! count deltas at each look, and the verdict it leads to.

use serde::{Deserialize, Serialize};

use super::config::JudgeConfig;
use super::counters::Readings;
use super::mixture::{self, Batch, GRID_LEN};
use super::{ArmDelta, Verdict};

/// Requests and events (errors or slow requests) seen so far on one arm.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ArmTotals {
    /// Requests.
    pub requests: u64,
    /// Events: failed requests, or requests slower than the threshold.
    pub events: u64,
}

/// What the judge knows, for a person or a measurement's value.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Evidence {
    /// The e-value against "canary no worse than stable": Failed at `1/alpha`.
    pub degradation: f64,
    /// The e-value against "canary `minEffect` times worse": Successful at `1/beta`.
    pub no_degradation: f64,
    /// Canary event rate over stable event rate, pooled over the looks;
    /// `None` when the stable arm has no events or no requests.
    pub rate_ratio: Option<f64>,
}

/// The sequential judge of one metric. Serializable, so the analysis runner
/// can store it in a measurement and resume after a restart.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SequentialJudge {
    config: JudgeConfig,
    canary: ArmTotals,
    stable: ArmTotals,
    /// `ln` likelihood ratio of each grid ratio against ratio 1, summed over looks.
    log_lr: Vec<f64>,
    /// Looks that carried requests.
    looks: u64,
    verdict: Verdict,
    /// For the latency test: the frozen threshold in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    latency_threshold: Option<f64>,
    /// For `observe_counters`: the last cumulative readings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    readings: Option<Readings>,
}

impl SequentialJudge {
    /// A judge that has seen nothing.
    pub fn new(config: JudgeConfig) -> Self {
        Self {
            config,
            canary: ArmTotals::default(),
            stable: ArmTotals::default(),
            log_lr: vec![0.0; GRID_LEN],
            looks: 0,
            verdict: Verdict::Running,
            latency_threshold: None,
            readings: None,
        }
    }

    /// Takes the counts since the last look and returns the verdict. Once the
    /// verdict is final it no longer changes, and later counts are ignored.
    ///
    /// Events above requests on an arm are capped at the requests; totals
    /// saturate at `u64::MAX`. Zero counts are a look with no information.
    pub fn observe(&mut self, canary: ArmDelta, stable: ArmDelta) -> Verdict {
        if self.verdict.is_final() {
            return self.verdict;
        }
        let (canary, stable) = (canary.capped(), stable.capped());
        if canary.requests == 0 && stable.requests == 0 {
            return self.verdict;
        }
        self.looks = self.looks.saturating_add(1);
        self.canary.add(canary);
        self.stable.add(stable);
        let batch = Batch {
            n_c: canary.requests as f64,
            n_s: stable.requests as f64,
            e_c: canary.events as f64,
            e_s: stable.events as f64,
        };
        self.log_lr.resize(GRID_LEN, 0.0);
        for (l, rho) in self
            .log_lr
            .iter_mut()
            .zip(mixture::grid(self.config.min_effect))
        {
            *l += batch.log_lr(rho);
        }
        self.verdict = self.decide();
        self.verdict
    }

    fn decide(&self) -> Verdict {
        let (fail, pass) = self.log_evidence();
        if fail >= (1.0 / self.config.alpha).ln() {
            Verdict::Failed
        } else if pass >= (1.0 / self.config.beta).ln() {
            Verdict::Successful
        } else if self.canary.requests >= self.config.max_samples {
            self.at_max_samples()
        } else {
            Verdict::Running
        }
    }

    /// Without a decision at `maxSamples`: Successful when the pooled rate
    /// ratio is below `√minEffect` (closer, on a log scale, to "no
    /// degradation" than to the degradation worth catching), Inconclusive
    /// otherwise, so that a person decides. Never Failed: Failed is only
    /// answered with the alpha guarantee.
    fn at_max_samples(&self) -> Verdict {
        if self.canary.events == 0 {
            return Verdict::Successful;
        }
        match self.rate_ratio() {
            Some(r) if r < self.config.min_effect.sqrt() => Verdict::Successful,
            _ => Verdict::Inconclusive,
        }
    }

    /// `ln` of the two e-values: (against "no worse", against "minEffect worse").
    fn log_evidence(&self) -> (f64, f64) {
        let fail = mixture::log_mixture(&self.log_lr);
        // The likelihood ratio of ratio 1 against ratio minEffect is the
        // inverse of the first grid point's.
        let pass = -self.log_lr.first().copied().unwrap_or(0.0);
        (fail, pass)
    }

    fn rate_ratio(&self) -> Option<f64> {
        if self.canary.requests == 0 || self.stable.requests == 0 || self.stable.events == 0 {
            return None;
        }
        let c = self.canary.events as f64 / self.canary.requests as f64;
        let s = self.stable.events as f64 / self.stable.requests as f64;
        Some(c / s)
    }

    /// The verdict so far.
    pub fn verdict(&self) -> Verdict {
        self.verdict
    }

    /// The resolved parameters.
    pub fn config(&self) -> &JudgeConfig {
        &self.config
    }

    /// Canary totals so far.
    pub fn canary(&self) -> ArmTotals {
        self.canary
    }

    /// Stable totals so far.
    pub fn stable(&self) -> ArmTotals {
        self.stable
    }

    /// Looks that carried requests.
    pub fn looks(&self) -> u64 {
        self.looks
    }

    /// The evidence so far.
    pub fn evidence(&self) -> Evidence {
        let (fail, pass) = self.log_evidence();
        Evidence {
            degradation: fail.exp(),
            no_degradation: pass.exp(),
            rate_ratio: self.rate_ratio(),
        }
    }

    /// One line for a person: counts, ratio, evidence and the verdict.
    pub fn message(&self) -> String {
        let ev = self.evidence();
        let what = match self.config.test {
            serin_api::analysis::SequentialTest::Errors => "errors",
            serin_api::analysis::SequentialTest::Latency => "slow requests",
        };
        let ratio = ev
            .rate_ratio
            .map_or_else(|| "n/a".to_string(), |r| format!("{r:.2}"));
        format!(
            "{:?}: canary {}/{} {what}, stable {}/{}, ratio {ratio}; evidence of degradation {:.3} (fails at {:.0}), of none {:.3} (passes at {:.0})",
            self.verdict,
            self.canary.events,
            self.canary.requests,
            self.stable.events,
            self.stable.requests,
            ev.degradation,
            1.0 / self.config.alpha,
            ev.no_degradation,
            1.0 / self.config.beta,
        )
    }

    /// For the latency test: the threshold in use, if one was set.
    pub fn latency_threshold(&self) -> Option<f64> {
        self.latency_threshold
    }

    /// For the latency test: fixes the threshold (seconds) if none is set yet
    /// and `threshold` is a finite number, and returns the one in use. Set it
    /// from stable data that the judge will not also count (for example
    /// stable's histogram before the analysis).
    pub fn set_latency_threshold(&mut self, threshold: f64) -> Option<f64> {
        if self.latency_threshold.is_none() && threshold.is_finite() {
            self.latency_threshold = Some(threshold);
        }
        self.latency_threshold
    }
}

impl SequentialJudge {
    /// Stores new counter readings and returns the previous ones.
    pub(super) fn replace_readings(&mut self, now: Readings) -> Option<Readings> {
        self.readings.replace(now)
    }
}

impl ArmTotals {
    fn add(&mut self, d: ArmDelta) {
        self.requests = self.requests.saturating_add(d.requests);
        self.events = self.events.saturating_add(d.events);
    }
}
