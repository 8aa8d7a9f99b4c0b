//! Per-arm request rate, error rate and p99 over the last seconds, from
//! the proxy's in-process counters: a reading every second, the numbers are
//! the difference between the newest and the oldest kept reading.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serin_api::analysis::Arm;
use serin_metrics::{ArmCounts, ArmFeed, ProxyArmFeed};
use serin_view::ArmNumbers;

/// How far back the numbers look.
const WINDOW: usize = 10;

/// The readings of one rollout's main listener.
pub struct Numbers {
    feed: ProxyArmFeed,
    readings: Mutex<VecDeque<(Instant, ArmCounts, ArmCounts)>>,
}

impl std::fmt::Debug for Numbers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Numbers")
    }
}

impl Numbers {
    /// Readings of `feed`.
    pub fn new(feed: ProxyArmFeed) -> Self {
        Self {
            feed,
            readings: Mutex::new(VecDeque::new()),
        }
    }

    /// Takes a reading (every second).
    pub fn sample(&self) {
        let reading = (
            Instant::now(),
            self.feed.counts(Arm::Stable),
            self.feed.counts(Arm::Canary),
        );
        let mut r = self.readings.lock().unwrap_or_else(|p| p.into_inner());
        r.push_back(reading);
        while r.len() > WINDOW + 1 {
            r.pop_front();
        }
    }

    /// The numbers of the stable and canary arms, labelled with the
    /// versions behind them (an arm without a version is left out).
    pub fn arms(&self, stable: Option<&str>, canary: Option<&str>) -> Vec<ArmNumbers> {
        let r = self.readings.lock().unwrap_or_else(|p| p.into_inner());
        let (Some(first), Some(last)) = (r.front(), r.back()) else {
            return Vec::new();
        };
        let secs = last
            .0
            .duration_since(first.0)
            .max(Duration::from_millis(1))
            .as_secs_f64();
        let one = |arm: &str, version: Option<&str>, now: &ArmCounts, then: &ArmCounts| {
            let version = version?;
            let d = now.since(then);
            Some(ArmNumbers {
                arm: arm.to_owned(),
                version: version.to_owned(),
                requests_per_second: if r.len() > 1 {
                    d.requests as f64 / secs
                } else {
                    0.0
                },
                error_rate: (d.requests > 0).then(|| d.errors as f64 / d.requests as f64),
                p99_ms: d.latency_quantile(0.99).map(|s| s * 1000.0),
            })
        };
        [
            one("stable", stable, &last.1, &first.1),
            one(
                "canary",
                canary.filter(|c| Some(*c) != stable),
                &last.2,
                &first.2,
            ),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}
