//! The latency test's input: turning per-arm latency histograms into counts
//! of "slow" requests — requests above a threshold fixed from the stable's
//! latency quantile — which the sequential judge then compares like errors.
//!
//! Histograms are Prometheus-style: buckets with an upper bound `le` and the
//! cumulative number of requests at or below it, the last bound being +∞.
//! Both arms must use the same bounds (serin's proxy does). The threshold is
//! always a bucket bound, so the slow counts of both arms are exact.

use serde::{Deserialize, Serialize};

use super::{ArmDelta, SequentialJudge, Verdict};

/// One cumulative histogram bucket.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Bucket {
    /// Upper bound in seconds (`f64::INFINITY` for the last bucket).
    pub le: f64,
    /// Requests with latency at or below `le`.
    pub count: u64,
}

/// The smallest bucket bound at or above the `quantile` of the histogram:
/// at most a share `1 - quantile` of its requests are slower. `None` for an
/// empty histogram, or when the quantile falls in the +∞ bucket.
pub fn quantile_bound(buckets: &[Bucket], quantile: f64) -> Option<f64> {
    let total = total(buckets);
    if total == 0 {
        return None;
    }
    let needed = quantile.clamp(0.0, 1.0) * total as f64;
    buckets
        .iter()
        .filter(|b| b.le.is_finite())
        .find(|b| b.count as f64 >= needed)
        .map(|b| b.le)
}

/// The arm's requests, and those slower than `threshold`: above the largest
/// bucket bound not above `threshold`.
pub fn slow_requests(buckets: &[Bucket], threshold: f64) -> ArmDelta {
    let requests = total(buckets);
    let fast = buckets
        .iter()
        .filter(|b| b.le <= threshold)
        .map(|b| b.count)
        .max()
        .unwrap_or(0);
    ArmDelta::new(requests, requests.saturating_sub(fast))
}

fn total(buckets: &[Bucket]) -> u64 {
    buckets.iter().map(|b| b.count).max().unwrap_or(0)
}

impl SequentialJudge {
    /// The latency test's look: the per-arm histograms of the requests since
    /// the last look. Without a threshold yet, the stable histogram of this
    /// look fixes it (`latencyQuantile`) and the look is not counted, so the
    /// counts tested never served to choose the threshold.
    pub fn observe_latency(&mut self, canary: &[Bucket], stable: &[Bucket]) -> Verdict {
        let Some(threshold) = self.latency_threshold() else {
            if let Some(t) = quantile_bound(stable, self.config().latency_quantile) {
                self.set_latency_threshold(t);
            }
            return self.verdict();
        };
        self.observe(
            slow_requests(canary, threshold),
            slow_requests(stable, threshold),
        )
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn hist(counts: &[(f64, u64)]) -> Vec<Bucket> {
        counts
            .iter()
            .map(|&(le, count)| Bucket { le, count })
            .collect()
    }

    #[test]
    fn quantile_bound_is_the_first_bucket_holding_the_quantile() {
        let h = hist(&[
            (0.1, 50),
            (0.2, 90),
            (0.5, 96),
            (1.0, 100),
            (f64::INFINITY, 100),
        ]);
        assert_eq!(quantile_bound(&h, 0.95), Some(0.5));
        assert_eq!(quantile_bound(&h, 0.9), Some(0.2));
        assert_eq!(quantile_bound(&[], 0.95), None);
    }

    #[test]
    fn slow_requests_counts_requests_above_the_threshold_bucket() {
        let h = hist(&[(0.1, 50), (0.2, 90), (0.5, 96), (f64::INFINITY, 100)]);
        assert_eq!(slow_requests(&h, 0.5), ArmDelta::new(100, 4));
        assert_eq!(slow_requests(&h, 0.05), ArmDelta::new(100, 100));
    }
}
