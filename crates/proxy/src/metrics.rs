//! Per-arm request metrics: counters and a latency histogram made of atomics,
//! recorded on the hot path without locks, and read either as a
//! [`MetricsSnapshot`] through the in-process [`MetricsFeed`] or as Prometheus
//! text (see [`crate::prom`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::arm::Arm;

/// Upper bounds of the latency histogram buckets, in seconds; a last,
/// unbounded bucket follows.
pub const LATENCY_BOUNDS_SECONDS: [f64; 16] = [
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0,
];

const LATENCY_BOUNDS_US: [u64; 16] = [
    500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000,
    2_000_000, 5_000_000, 10_000_000, 30_000_000, 60_000_000,
];

/// Status classes counted per arm; `UpstreamError` is a request that got no
/// response from the upstream (connection refused, reset, timeout).
pub(crate) const STATUS_CLASSES: [&str; 6] = ["1xx", "2xx", "3xx", "4xx", "5xx", "error"];

/// The counters of one (listener, arm, version).
#[derive(Debug)]
pub(crate) struct ArmMetrics {
    pub(crate) listener: String,
    pub(crate) rollout: String,
    pub(crate) arm: Arm,
    pub(crate) version: String,
    requests: AtomicU64,
    errors: AtomicU64,
    by_class: [AtomicU64; 6],
    latency: [AtomicU64; 17],
    latency_sum_us: AtomicU64,
}

impl ArmMetrics {
    fn new(listener: &str, rollout: &str, arm: Arm, version: &str) -> ArmMetrics {
        ArmMetrics {
            listener: listener.to_owned(),
            rollout: rollout.to_owned(),
            arm,
            version: version.to_owned(),
            requests: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            by_class: Default::default(),
            latency: Default::default(),
            latency_sum_us: AtomicU64::new(0),
        }
    }

    /// Records one finished exchange: the upstream's status, or `None` when
    /// the upstream could not be reached.
    pub(crate) fn record(&self, status: Option<StatusCode>, elapsed: Duration) {
        let class = match status {
            Some(s) => usize::from(s.as_u16() / 100).clamp(1, 5) - 1,
            None => 5,
        };
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.by_class[class].fetch_add(1, Ordering::Relaxed);
        if class >= 4 {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
        let us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        let bucket = LATENCY_BOUNDS_US
            .iter()
            .position(|b| us <= *b)
            .unwrap_or(LATENCY_BOUNDS_US.len());
        self.latency[bucket].fetch_add(1, Ordering::Relaxed);
        self.latency_sum_us.fetch_add(us, Ordering::Relaxed);
    }

    fn snapshot(&self) -> ArmSnapshot {
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let c: Vec<u64> = self.by_class.iter().map(load).collect();
        let counts: Vec<u64> = self.latency.iter().map(load).collect();
        ArmSnapshot {
            listener: self.listener.clone(),
            rollout: self.rollout.clone(),
            arm: self.arm,
            version: self.version.clone(),
            requests: load(&self.requests),
            errors: load(&self.errors),
            status: StatusCounts {
                informational: c[0],
                success: c[1],
                redirection: c[2],
                client_error: c[3],
                server_error: c[4],
                upstream_error: c[5],
            },
            latency: LatencySnapshot {
                bounds_seconds: LATENCY_BOUNDS_SECONDS.to_vec(),
                count: counts.iter().sum(),
                counts,
                sum_seconds: load(&self.latency_sum_us) as f64 / 1e6,
            },
        }
    }
}

/// Monotonic counters of one (listener, arm, version); take deltas between two.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArmSnapshot {
    /// Listener name.
    pub listener: String,
    /// Rollout name (the `rollout` metric label).
    pub rollout: String,
    /// Which arm.
    pub arm: Arm,
    /// The arm's version label when these requests were served.
    pub version: String,
    /// Requests answered (or failed) by this arm.
    pub requests: u64,
    /// 5xx responses plus upstream connection failures.
    pub errors: u64,
    /// Requests by status class.
    pub status: StatusCounts,
    /// Time to the upstream's response headers.
    pub latency: LatencySnapshot,
}

/// Requests by status class.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusCounts {
    /// 1xx.
    pub informational: u64,
    /// 2xx.
    pub success: u64,
    /// 3xx.
    pub redirection: u64,
    /// 4xx.
    pub client_error: u64,
    /// 5xx from the upstream.
    pub server_error: u64,
    /// No response: the upstream could not be reached or broke the connection.
    pub upstream_error: u64,
}

/// A latency histogram: `counts[i]` requests took at most `bounds_seconds[i]`
/// (and more than the bound before); the last count is above every bound.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LatencySnapshot {
    /// Bucket upper bounds, seconds.
    pub bounds_seconds: Vec<f64>,
    /// Per-bucket counts (not cumulative), `bounds_seconds.len() + 1` of them.
    pub counts: Vec<u64>,
    /// Total of all latencies, seconds.
    pub sum_seconds: f64,
    /// Number of observations.
    pub count: u64,
}

/// Every arm's counters at one moment.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricsSnapshot {
    /// One entry per (listener, arm, version) that has been routed to.
    pub arms: Vec<ArmSnapshot>,
}

impl MetricsSnapshot {
    /// Counters of one arm of one listener, summed over its versions.
    pub fn arm(&self, listener: &str, arm: Arm) -> (u64, u64) {
        self.arms
            .iter()
            .filter(|a| a.listener == listener && a.arm == arm)
            .fold((0, 0), |(r, e), a| (r + a.requests, e + a.errors))
    }

    /// Counters of one (listener, arm, version), if it has been routed to.
    pub fn get(&self, listener: &str, arm: Arm, version: &str) -> Option<&ArmSnapshot> {
        self.arms
            .iter()
            .find(|a| a.listener == listener && a.arm == arm && a.version == version)
    }
}

/// The in-process feed of per-arm counters: a cheap, cloneable handle.
#[derive(Clone, Debug, Default)]
pub struct MetricsFeed {
    all: Arc<Mutex<Vec<Arc<ArmMetrics>>>>,
}

impl MetricsFeed {
    /// Reads every arm's counters now; no scrape interval involved.
    pub fn snapshot(&self) -> MetricsSnapshot {
        MetricsSnapshot {
            arms: self.entries().iter().map(|m| m.snapshot()).collect(),
        }
    }

    pub(crate) fn entries(&self) -> Vec<Arc<ArmMetrics>> {
        self.all.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The counters for (listener, arm, version), created on first use.
    /// Called when a table is installed, never per request.
    pub(crate) fn arm_metrics(
        &self,
        listener: &str,
        rollout: &str,
        arm: Arm,
        version: &str,
    ) -> Arc<ArmMetrics> {
        let mut all = self.all.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(m) = all
            .iter()
            .find(|m| m.listener == listener && m.arm == arm && m.version == version)
        {
            return m.clone();
        }
        let m = Arc::new(ArmMetrics::new(listener, rollout, arm, version));
        all.push(m.clone());
        m
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use http::StatusCode;

    use super::MetricsFeed;
    use crate::arm::Arm;

    #[test]
    fn recording_counts_requests_errors_and_latency_buckets() {
        let feed = MetricsFeed::default();
        let m = feed.arm_metrics("web", "web", Arm::Canary, "v2");
        m.record(Some(StatusCode::OK), Duration::from_micros(700));
        m.record(Some(StatusCode::BAD_GATEWAY), Duration::from_secs(100));
        m.record(None, Duration::from_micros(10));
        let snap = feed.snapshot();
        let a = snap
            .get("web", Arm::Canary, "v2")
            .cloned()
            .unwrap_or_else(|| panic!("missing"));
        assert_eq!((a.requests, a.errors), (3, 2));
        assert_eq!(
            (
                a.status.success,
                a.status.server_error,
                a.status.upstream_error
            ),
            (1, 1, 1)
        );
        assert_eq!(a.latency.counts[0], 1);
        assert_eq!(a.latency.counts[1], 1);
        assert_eq!(a.latency.counts[16], 1);
        assert_eq!(a.latency.count, 3);
    }
}
