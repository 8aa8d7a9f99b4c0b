//! serin's sequential judge with its defaults (alpha 0.01, minEffect 2,
//! maxSamples 20,000), looked at after every simulated second.

use serin_engine::judge::{ArmDelta, JudgeConfig, SequentialJudge, Verdict};

use super::{Decision, SimJudge};

/// serin's judge.
pub struct Sequential(SequentialJudge);

impl Default for Sequential {
    fn default() -> Self {
        Self(SequentialJudge::new(JudgeConfig::default()))
    }
}

impl SimJudge for Sequential {
    fn second(&mut self, _t: u64, canary: ArmDelta, stable: ArmDelta) -> Decision {
        match self.0.observe(canary, stable) {
            Verdict::Running => Decision::Continue,
            Verdict::Failed => Decision::Rollback,
            Verdict::Successful => Decision::Promote,
            Verdict::Inconclusive => Decision::Pause,
        }
    }
}
