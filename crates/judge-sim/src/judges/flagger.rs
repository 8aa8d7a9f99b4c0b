//! Flagger's default rule: every `interval` (1 minute) the built-in
//! `request-success-rate` check over that minute must be at least 99%;
//! `threshold` 5 failed checks roll back. With the weight fixed here, the
//! canary is promoted after 10 passed checks (a `stepWeight` 5 to
//! `maxWeight` 50 progression). Failed checks are not reset by passed ones,
//! and a minute without canary requests ("no values found") fails.

use serin_engine::judge::ArmDelta;

use super::{Decision, SimJudge, Window};

const INTERVAL_S: u64 = 60;
const MIN_SUCCESS_RATE: f64 = 0.99;
const THRESHOLD: u32 = 5;
const CHECKS_TO_PROMOTE: u32 = 10;

/// Flagger's rule.
#[derive(Default)]
pub struct Flagger {
    window: Window,
    failed: u32,
    passed: u32,
}

impl SimJudge for Flagger {
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
        if ok {
            self.passed += 1;
        } else {
            self.failed += 1;
        }
        if self.failed >= THRESHOLD {
            Decision::Rollback
        } else if self.passed >= CHECKS_TO_PROMOTE {
            Decision::Promote
        } else {
            Decision::Continue
        }
    }
}
