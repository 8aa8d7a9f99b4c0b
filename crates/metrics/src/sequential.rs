//! The `sequential` provider: one look of `serin_engine::judge` per
//! measurement, from the canary's and the stable's cumulative counters read
//! through an [`ArmFeed`] at the same moment. The judge's state is the
//! measurement's value and each look resumes from the previous one's, so a
//! restarted runner loses no evidence; an unreadable state is an Error
//! measurement, never a silent restart (which would weaken alpha).
//!
//! - `errors`: `SequentialJudge::observe_counters` on requests and errors;
//!   the judge keeps the readings and subtracts.
//! - `latency`: the value also holds both arms' last histogram readings,
//!   and the judge gets the histogram deltas (`observe_latency`).
//!
//! The first look of either test only takes the readings.

use serde::{Deserialize, Serialize};
use serin_api::analysis::{Arm, Measurement, SequentialMetric, SequentialTest};
use serin_engine::judge::{ArmDelta, JudgeConfig, SequentialJudge};
use serin_engine::measure::Outcome;

use crate::MeasureError;
use crate::feed::{ArmCounts, ArmFeed};

const NAME: &str = "sequential";

/// What a latency look stores: the judge, and the histograms it counted up to.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct LatencyState {
    /// The judge after this look.
    pub judge: SequentialJudge,
    /// The canary's reading at this look.
    pub canary: ArmCounts,
    /// The stable's reading at this look.
    pub stable: ArmCounts,
}

/// One look of the judge. `sequential_metrics` is the number of sequential
/// metrics in the run (they share alpha); `last` is this metric's previous
/// measurement, whose value holds the state.
pub fn look(
    feed: &dyn ArmFeed,
    metric: &SequentialMetric,
    sequential_metrics: usize,
    last: Option<&Measurement>,
) -> Result<Outcome, MeasureError> {
    let config = JudgeConfig::from_metric(metric, sequential_metrics)
        .map_err(|e| MeasureError::config(NAME, e.to_string()))?;
    let previous = last.and_then(|m| m.value.as_deref());
    let canary = feed.counts(Arm::Canary);
    let stable = feed.counts(Arm::Stable);
    match config.test {
        SequentialTest::Errors => {
            let mut judge = SequentialJudge::resume(previous, config)
                .map_err(|e| MeasureError::config(NAME, e.to_string()))?;
            judge.observe_counters(
                ArmDelta::new(canary.requests, canary.errors),
                ArmDelta::new(stable.requests, stable.errors),
            );
            Ok(judge.outcome())
        }
        SequentialTest::Latency => latency_look(previous, config, canary, stable),
    }
}

fn latency_look(
    previous: Option<&str>,
    config: JudgeConfig,
    canary: ArmCounts,
    stable: ArmCounts,
) -> Result<Outcome, MeasureError> {
    let state = match previous {
        None => LatencyState {
            judge: SequentialJudge::new(config),
            canary,
            stable,
        },
        Some(text) => {
            let mut state: LatencyState = serde_json::from_str(text).map_err(|e| {
                MeasureError::config(
                    NAME,
                    format!("the sequential judge's stored state is unreadable: {e}"),
                )
            })?;
            let dc = canary.since(&state.canary);
            let ds = stable.since(&state.stable);
            state.judge.observe_latency(&dc.latency, &ds.latency);
            state.canary = canary;
            state.stable = stable;
            state
        }
    };
    let value = serde_json::to_string(&state)
        .map_err(|e| MeasureError::config(NAME, format!("cannot store the judge: {e}")))?;
    Ok(Outcome::Judged {
        phase: state.judge.verdict().phase(),
        value,
        message: state.judge.message(),
    })
}
