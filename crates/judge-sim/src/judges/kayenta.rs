//! A Kayenta-style judge: one judgment after a one-hour analysis, comparing
//! the 60 per-minute canary event rates (error rate, or share of slow
//! requests) with the 60 per-minute stable ones by a one-sided Mann-Whitney U
//! test (normal approximation with tie correction). The canary fails when
//! p < 0.01, which is what Kayenta's default 98% two-sided confidence
//! interval excluding 0 on the "increase" side amounts to. With one metric,
//! Kayenta's score is 0 or 100, so the canary is rolled back or promoted.

use serin_engine::judge::ArmDelta;

use crate::stats::mann_whitney_greater;

use super::{Decision, SimJudge, Window};

const MINUTE_S: u64 = 60;
const LIFETIME_S: u64 = 3_600;
const P_VALUE: f64 = 0.01;

/// A Kayenta-style judge.
#[derive(Default)]
pub struct Kayenta {
    canary: Window,
    stable: Window,
    canary_rates: Vec<f64>,
    stable_rates: Vec<f64>,
}

impl SimJudge for Kayenta {
    fn second(&mut self, t: u64, canary: ArmDelta, stable: ArmDelta) -> Decision {
        self.canary.add(canary);
        self.stable.add(stable);
        if t.is_multiple_of(MINUTE_S) {
            // A minute without requests has no rate (Kayenta drops NaNs).
            if let Some(r) = self.canary.success_rate() {
                self.canary_rates.push(1.0 - r);
            }
            if let Some(r) = self.stable.success_rate() {
                self.stable_rates.push(1.0 - r);
            }
            self.canary = Window::default();
            self.stable = Window::default();
        }
        if t < LIFETIME_S {
            return Decision::Continue;
        }
        match mann_whitney_greater(&self.canary_rates, &self.stable_rates) {
            Some(p) if p < P_VALUE => Decision::Rollback,
            _ => Decision::Promote,
        }
    }
}
