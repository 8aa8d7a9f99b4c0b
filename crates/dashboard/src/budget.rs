//! How many refused actions reach the rollouts' histories: at most a fixed
//! number per minute, so that someone without the token cannot fill a
//! rollout's history (or the cluster's Events) by clicking. Refusals over
//! the budget are still in the dashboard's own log and on stderr.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Refusals recorded in histories per window, across the dashboard.
pub const PER_MINUTE: usize = 30;

/// A sliding window of the refusals recorded.
#[derive(Debug)]
pub struct Budget {
    limit: usize,
    window: Duration,
    spent: VecDeque<Instant>,
}

impl Budget {
    /// At most `limit` in any `window`.
    pub fn new(limit: usize, window: Duration) -> Budget {
        Budget {
            limit,
            window,
            spent: VecDeque::new(),
        }
    }

    /// Whether one more may be recorded at `now` (and if so, counts it).
    pub fn take(&mut self, now: Instant) -> bool {
        while self
            .spent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            self.spent.pop_front();
        }
        if self.spent.len() >= self.limit {
            return false;
        }
        self.spent.push_back(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::Budget;

    #[test]
    fn refusals_over_the_budget_are_not_recorded_until_the_window_moves_on() {
        let mut b = Budget::new(2, Duration::from_secs(60));
        let t0 = Instant::now();
        assert!(b.take(t0) && b.take(t0));
        assert!(!b.take(t0 + Duration::from_secs(59)));
        assert!(b.take(t0 + Duration::from_secs(60)));
    }
}
