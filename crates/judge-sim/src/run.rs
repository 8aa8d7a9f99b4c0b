//! Runs one scenario many times with fixed seeds and gathers, per judge,
//! what it decided, when, and how many canary requests were served by then.

use rand::SeedableRng;
use rand::rngs::SmallRng;

use crate::judges::{self, Decision};
use crate::stats::quantile;
use crate::stream::{Kind, Scenario};

/// Simulated seconds after which a run stops even if a judge is undecided
/// (serin's judge stops by itself at 20,000 canary requests: 11 hours at the
/// slowest canary traffic here, 0.5 requests per second).
const MAX_SECONDS: u64 = 48 * 3_600;

/// What one judge did over the runs of a scenario.
#[derive(Clone, Debug, Default)]
pub struct JudgeSummary {
    /// Runs.
    pub runs: u32,
    /// Runs rolled back.
    pub rollbacks: u32,
    /// Runs paused for a person (serin's Inconclusive).
    pub pauses: u32,
    /// Canary requests served before each rollback, sorted.
    pub rollback_requests: Vec<u64>,
    /// Canary requests served before each promotion, sorted.
    pub promote_requests: Vec<u64>,
    /// Seconds to each decision (any), sorted.
    pub decision_seconds: Vec<u64>,
}

impl JudgeSummary {
    /// Share of runs rolled back.
    pub fn rollback_share(&self) -> f64 {
        f64::from(self.rollbacks) / f64::from(self.runs.max(1))
    }

    /// Median and p90 canary requests before a rollback.
    pub fn rollback_median_p90(&self) -> Option<(u64, u64)> {
        Some((
            quantile(&self.rollback_requests, 0.5)?,
            quantile(&self.rollback_requests, 0.9)?,
        ))
    }

    /// Median time to a decision, seconds.
    pub fn median_decision_seconds(&self) -> Option<u64> {
        quantile(&self.decision_seconds, 0.5)
    }
}

/// The results of one scenario: one summary per judge (`None`: no rule).
#[derive(Clone, Debug)]
pub struct ScenarioResult {
    /// The scenario.
    pub scenario: Scenario,
    /// Per judge, in [`judges::NAMES`] order.
    pub judges: [Option<JudgeSummary>; 4],
}

/// Runs `runs` canaries of the scenario, seeded by `seed`.
pub fn scenario(scenario: Scenario, runs: u32, seed: u64) -> ScenarioResult {
    let latency = scenario.kind == Kind::Latency;
    let mut sums: [Option<JudgeSummary>; 4] =
        judges::all(latency).map(|j| j.map(|_| JudgeSummary::default()));
    for run in 0..runs {
        let mut rng = SmallRng::seed_from_u64(seed ^ (u64::from(run) << 20));
        let mut live = judges::all(latency);
        let mut canary_served = 0u64;
        let mut t = 0;
        while t < MAX_SECONDS && live.iter().any(Option::is_some) {
            t += 1;
            let (c, s) = scenario.second(&mut rng);
            canary_served += c.requests;
            for (slot, sum) in live.iter_mut().zip(sums.iter_mut()) {
                let (Some(judge), Some(sum)) = (slot.as_mut(), sum.as_mut()) else {
                    continue;
                };
                let decision = judge.second(t, c, s);
                if decision == Decision::Continue {
                    continue;
                }
                match decision {
                    Decision::Rollback => {
                        sum.rollbacks += 1;
                        sum.rollback_requests.push(canary_served);
                    }
                    Decision::Promote => sum.promote_requests.push(canary_served),
                    Decision::Pause => sum.pauses += 1,
                    Decision::Continue => {}
                }
                sum.decision_seconds.push(t);
                *slot = None;
            }
        }
    }
    for sum in sums.iter_mut().flatten() {
        sum.runs = runs;
        sum.rollback_requests.sort_unstable();
        sum.promote_requests.sort_unstable();
        sum.decision_seconds.sort_unstable();
    }
    ScenarioResult {
        scenario,
        judges: sums,
    }
}
