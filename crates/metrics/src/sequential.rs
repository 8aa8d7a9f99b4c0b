//! The `sequential` provider: drives `serin_engine::judge` with the canary's
//! and the stable's counts since the previous look, read from an
//! [`ArmFeed`]. The judge's state and the readings it counted up to are
//! stored as the measurement's value, so a restarted runner resumes the test
//! where it stopped; the first look only takes the readings.

use serde::{Deserialize, Serialize};
use serin_api::analysis::{Arm, Measurement, SequentialMetric, SequentialTest};
use serin_engine::judge::{ArmDelta, JudgeConfig, SequentialJudge};
use serin_engine::measure::Outcome;

use crate::MeasureError;
use crate::feed::{ArmCounts, ArmFeed};

const NAME: &str = "sequential";

/// What a sequential measurement stores: the judge, and the readings its
/// counts go up to.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SequentialState {
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
    let canary = feed.counts(Arm::Canary);
    let stable = feed.counts(Arm::Stable);
    let stored = last.and_then(|m| m.value.as_deref());
    let previous: Option<SequentialState> = stored.and_then(|v| serde_json::from_str(v).ok());
    let (judge, message) = match previous {
        None => {
            let judge = SequentialJudge::new(config);
            let again = if stored.is_some() {
                "the stored state was unreadable, starting again; "
            } else {
                ""
            };
            let message = format!(
                "first look: {again}readings taken (canary {} requests, stable {}); counting from here",
                canary.requests, stable.requests
            );
            (judge, message)
        }
        Some(prev) => {
            let mut judge = prev.judge;
            let dc = canary.since(&prev.canary);
            let ds = stable.since(&prev.stable);
            match judge.config().test {
                SequentialTest::Errors => judge.observe(
                    ArmDelta::new(dc.requests, dc.errors),
                    ArmDelta::new(ds.requests, ds.errors),
                ),
                SequentialTest::Latency => judge.observe_latency(&dc.latency, &ds.latency),
            };
            let message = judge.message();
            (judge, message)
        }
    };
    let phase = judge.verdict().phase();
    let state = SequentialState {
        judge,
        canary,
        stable,
    };
    let value = serde_json::to_string(&state)
        .map_err(|e| MeasureError::config(NAME, format!("cannot store the judge: {e}")))?;
    Ok(Outcome::Judged {
        phase,
        value,
        message,
    })
}
