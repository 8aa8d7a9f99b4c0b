//! Looks from cumulative counters: the judge keeps the last reading of each
//! arm's request and event counters (as the proxy or Prometheus report them)
//! and turns each new reading into the delta `observe` needs, so the runner
//! keeps no state of its own. A counter that went down was reset (a
//! restarted proxy): its new value is taken as the delta.

use serde::{Deserialize, Serialize};

use super::{ArmDelta, SequentialJudge, Verdict};

/// The last counter readings, per arm.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Readings {
    /// Canary counters.
    pub canary: ArmDelta,
    /// Stable counters.
    pub stable: ArmDelta,
}

impl SequentialJudge {
    /// One look from cumulative counters read at the same moment for both
    /// arms. The first reading only sets the baseline (returns the verdict
    /// so far): counts from before the analysis are not evidence about it.
    pub fn observe_counters(&mut self, canary: ArmDelta, stable: ArmDelta) -> Verdict {
        let now = Readings { canary, stable };
        let Some(before) = self.replace_readings(now) else {
            return self.verdict();
        };
        self.observe(since(before.canary, canary), since(before.stable, stable))
    }
}

fn since(before: ArmDelta, now: ArmDelta) -> ArmDelta {
    if now.requests < before.requests || now.events < before.events {
        return now;
    }
    ArmDelta::new(now.requests - before.requests, now.events - before.events)
}
