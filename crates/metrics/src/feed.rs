//! [`ArmFeed`]: cumulative per-arm request counts and latency histograms,
//! the input of the `builtin` and `sequential` providers, and its
//! implementation over serin-proxy's in-process [`serin_proxy::MetricsFeed`].
//! A window's numbers are the difference of two readings ([`ArmCounts::since`]).

use serde::{Deserialize, Serialize};
use serin_api::analysis::Arm;
use serin_engine::judge::Bucket;

/// One arm's counters since the proxy started: they only grow, except when
/// the proxy restarts.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ArmCounts {
    /// Requests served.
    pub requests: u64,
    /// Of those, errors (5xx and upstream failures).
    pub errors: u64,
    /// Latency histogram: cumulative buckets, the last with `le = +∞`.
    #[serde(default, skip_serializing_if = "Vec::is_empty", with = "buckets")]
    pub latency: Vec<Bucket>,
}

/// Buckets in JSON as `[le, count]` pairs with `le` null for +∞ (JSON has
/// no infinity, and serde_json would write it as null and fail to read it).
mod buckets {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use serin_engine::judge::Bucket;

    pub(super) fn serialize<S: Serializer>(b: &[Bucket], s: S) -> Result<S::Ok, S::Error> {
        let pairs: Vec<(Option<f64>, u64)> = b
            .iter()
            .map(|b| (b.le.is_finite().then_some(b.le), b.count))
            .collect();
        pairs.serialize(s)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Bucket>, D::Error> {
        let pairs: Vec<(Option<f64>, u64)> = Vec::deserialize(d)?;
        Ok(pairs
            .into_iter()
            .map(|(le, count)| Bucket {
                le: le.unwrap_or(f64::INFINITY),
                count,
            })
            .collect())
    }
}

impl ArmCounts {
    /// What happened between `earlier` and `self`. A counter that went down
    /// (the proxy restarted) counts from zero: the new value is the delta.
    pub fn since(&self, earlier: &ArmCounts) -> ArmCounts {
        let reset = self.requests < earlier.requests;
        let delta = |now: u64, then: u64| if reset { now } else { now.saturating_sub(then) };
        let latency = self
            .latency
            .iter()
            .map(|b| {
                let then = earlier
                    .latency
                    .iter()
                    .find(|e| e.le == b.le)
                    .map_or(0, |e| e.count);
                Bucket {
                    le: b.le,
                    count: delta(b.count, then),
                }
            })
            .collect();
        ArmCounts {
            requests: delta(self.requests, earlier.requests),
            errors: delta(self.errors, earlier.errors),
            latency,
        }
    }

    /// The `q` quantile of the latency histogram in seconds, interpolated
    /// linearly inside its bucket (as Prometheus' `histogram_quantile`);
    /// `None` without requests. In the +∞ bucket, the largest finite bound.
    pub fn latency_quantile(&self, q: f64) -> Option<f64> {
        let total = self.latency.last().map_or(0, |b| b.count);
        if total == 0 {
            return None;
        }
        let rank = q.clamp(0.0, 1.0) * total as f64;
        let mut lower = (0.0, 0u64);
        for b in &self.latency {
            if b.count as f64 >= rank {
                if !b.le.is_finite() {
                    return Some(lower.0);
                }
                let in_bucket = (b.count - lower.1) as f64;
                if in_bucket <= 0.0 {
                    return Some(b.le);
                }
                let frac = (rank - lower.1 as f64) / in_bucket;
                return Some(lower.0 + (b.le - lower.0) * frac);
            }
            lower = (b.le, b.count);
        }
        Some(lower.0)
    }
}

/// Where per-arm counts come from: serin's proxy in process, or anything
/// else that counts requests per arm of one rollout.
pub trait ArmFeed: Send + Sync {
    /// The arm's cumulative counts now (zeros for an arm never routed to).
    fn counts(&self, arm: Arm) -> ArmCounts;
}

/// One listener of serin's proxy as an [`ArmFeed`]: counts summed over the
/// versions an arm has served.
#[derive(Clone, Debug)]
pub struct ProxyArmFeed {
    feed: serin_proxy::MetricsFeed,
    listener: String,
}

impl ProxyArmFeed {
    /// The arms of `listener`, read from the proxy's in-process feed.
    pub fn new(feed: serin_proxy::MetricsFeed, listener: impl Into<String>) -> Self {
        Self {
            feed,
            listener: listener.into(),
        }
    }
}

fn proxy_arm(arm: Arm) -> serin_proxy::Arm {
    match arm {
        Arm::Stable => serin_proxy::Arm::Stable,
        Arm::Canary => serin_proxy::Arm::Canary,
        Arm::Preview => serin_proxy::Arm::Preview,
        Arm::Shadow => serin_proxy::Arm::Shadow,
    }
}

impl ArmFeed for ProxyArmFeed {
    fn counts(&self, arm: Arm) -> ArmCounts {
        let snapshot = self.feed.snapshot();
        let wanted = proxy_arm(arm);
        let mut out = ArmCounts::default();
        let mut per_bucket: Vec<u64> = Vec::new();
        let mut bounds: Vec<f64> = Vec::new();
        for a in snapshot
            .arms
            .iter()
            .filter(|a| a.listener == self.listener && a.arm == wanted)
        {
            out.requests = out.requests.saturating_add(a.requests);
            out.errors = out.errors.saturating_add(a.errors);
            if bounds.is_empty() {
                bounds.clone_from(&a.latency.bounds_seconds);
                per_bucket = vec![0; a.latency.counts.len()];
            }
            for (sum, c) in per_bucket.iter_mut().zip(&a.latency.counts) {
                *sum = sum.saturating_add(*c);
            }
        }
        let mut cumulative = 0u64;
        out.latency = per_bucket
            .iter()
            .enumerate()
            .map(|(i, c)| {
                cumulative = cumulative.saturating_add(*c);
                Bucket {
                    le: bounds.get(i).copied().unwrap_or(f64::INFINITY),
                    count: cumulative,
                }
            })
            .collect();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(requests: u64, errors: u64, buckets: &[(f64, u64)]) -> ArmCounts {
        ArmCounts {
            requests,
            errors,
            latency: buckets
                .iter()
                .map(|&(le, count)| Bucket { le, count })
                .collect(),
        }
    }

    #[test]
    fn a_window_is_the_difference_of_two_readings_and_a_reset_counts_from_zero() {
        let a = counts(100, 5, &[(0.1, 90), (f64::INFINITY, 100)]);
        let b = counts(150, 6, &[(0.1, 120), (f64::INFINITY, 150)]);
        assert_eq!(
            b.since(&a),
            counts(50, 1, &[(0.1, 30), (f64::INFINITY, 50)])
        );
        let restarted = counts(7, 1, &[(0.1, 7), (f64::INFINITY, 7)]);
        assert_eq!(restarted.since(&b), restarted);
    }

    #[test]
    fn counts_with_an_infinite_bucket_survive_json() {
        let c = counts(3, 1, &[(0.1, 2), (f64::INFINITY, 3)]);
        let text = serde_json::to_string(&c).unwrap_or_default();
        assert_eq!(serde_json::from_str::<ArmCounts>(&text).ok(), Some(c));
    }

    #[test]
    fn latency_quantile_interpolates_inside_the_bucket() {
        let c = counts(100, 0, &[(0.1, 50), (0.2, 100), (f64::INFINITY, 100)]);
        assert_eq!(c.latency_quantile(0.5), Some(0.1));
        let p75 = c.latency_quantile(0.75).unwrap_or_default();
        assert!((p75 - 0.15).abs() < 1e-9);
        assert_eq!(ArmCounts::default().latency_quantile(0.5), None);
        let slow = counts(10, 0, &[(0.1, 0), (f64::INFINITY, 10)]);
        assert_eq!(slow.latency_quantile(0.99), Some(0.1));
    }
}
