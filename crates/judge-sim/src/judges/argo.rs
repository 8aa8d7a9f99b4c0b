//! Argo Rollouts' documented background-analysis example: every 5 minutes
//! the canary's success rate must be at least 0.95
//! (`successCondition: result[0] >= 0.95`), `failureLimit: 3` (the 4th failed
//! measurement aborts), no `count` (measure until the rollout ends: here one
//! hour, 12 measurements). The documented query is `irate(...[5m])`, which
//! uses only the last two scrapes; we measure the success rate over the
//! whole 5 minutes instead, which is kinder to Argo (less noise). A window
//! without canary requests gives NaN, and the condition fails.

use serin_engine::judge::ArmDelta;

use super::{Decision, SimJudge, Window};

const INTERVAL_S: u64 = 300;
const MIN_SUCCESS_RATE: f64 = 0.95;
const FAILURE_LIMIT: u32 = 3;
const MEASUREMENTS: u32 = 12;

/// Argo Rollouts' documented example.
#[derive(Default)]
pub struct Argo {
    window: Window,
    failed: u32,
    measured: u32,
}

impl SimJudge for Argo {
    fn second(&mut self, t: u64, canary: ArmDelta, _stable: ArmDelta) -> Decision {
        self.window.add(canary);
        if !t.is_multiple_of(INTERVAL_S) {
            return Decision::Continue;
        }
        let ok = self
            .window
            .success_rate()
            .is_some_and(|r| r >= MIN_SUCCESS_RATE);
        self.window = Window::default();
        self.measured += 1;
        if !ok {
            self.failed += 1;
        }
        if self.failed > FAILURE_LIMIT {
            Decision::Rollback
        } else if self.measured >= MEASUREMENTS {
            Decision::Promote
        } else {
            Decision::Continue
        }
    }
}
