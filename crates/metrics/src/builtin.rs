//! The `builtin` provider: success rate, error rate, request rate or a
//! latency quantile of one arm, over a window, from an [`ArmFeed`]. The
//! window is the difference between the reading now and a reading at least
//! `window` old that the provider kept from an earlier measurement; for the
//! first measurement it takes a reading and waits one window.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serin_api::analysis::{Arm, BuiltinMetric, BuiltinMetricKind, Metric};
use serin_engine::measure::ResultValue;
use tokio::time::Instant;

use crate::MeasureError;
use crate::feed::{ArmCounts, ArmFeed};

const NAME: &str = "builtin";
/// The window when neither the metric's `window` nor its `interval` is set.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(60);
/// The latency quantile when the metric does not say.
pub const DEFAULT_QUANTILE: f64 = 0.99;

/// The window of a builtin metric: its `window`, else its interval, else 1m.
pub fn window(metric: &Metric, b: &BuiltinMetric) -> Duration {
    b.window
        .as_ref()
        .or(metric.interval.as_ref())
        .and_then(|d| d.parse().ok())
        .filter(|d| !d.is_zero())
        .unwrap_or(DEFAULT_WINDOW)
}

type Readings = VecDeque<(Instant, ArmCounts)>;

/// Per-arm numbers from a feed, with the readings kept between measurements.
pub struct BuiltinProvider {
    feed: Arc<dyn ArmFeed>,
    readings: Mutex<BTreeMap<(String, String), Readings>>,
}

impl std::fmt::Debug for BuiltinProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BuiltinProvider").finish_non_exhaustive()
    }
}

impl BuiltinProvider {
    /// A provider reading `feed`.
    pub fn new(feed: Arc<dyn ArmFeed>) -> Self {
        Self {
            feed,
            readings: Mutex::new(BTreeMap::new()),
        }
    }

    /// Measures metric `metric` of run `run` over its window.
    pub async fn measure(
        &self,
        run: &str,
        metric: &Metric,
        b: &BuiltinMetric,
    ) -> Result<ResultValue, MeasureError> {
        let window = window(metric, b);
        let arm = b.arm.unwrap_or(Arm::Canary);
        let key = (run.to_string(), metric.name.clone());
        let now = Instant::now();
        let baseline = {
            let mut all = self.readings.lock().unwrap_or_else(|p| p.into_inner());
            let kept = all.entry(key.clone()).or_default();
            kept.iter()
                .rev()
                .find(|(at, _)| now.duration_since(*at) >= window)
                .cloned()
                .or_else(|| kept.front().cloned())
        };
        let (since, before) = match baseline {
            Some(b) => b,
            None => (now, self.feed.counts(arm)),
        };
        tokio::time::sleep_until(since + window).await;
        let at = Instant::now();
        let current = self.feed.counts(arm);
        {
            let mut all = self.readings.lock().unwrap_or_else(|p| p.into_inner());
            let kept = all.entry(key).or_default();
            if kept.is_empty() {
                kept.push_back((since, before.clone()));
            }
            kept.push_back((at, current.clone()));
            // Keep the newest reading old enough for the next window, and after.
            while kept.len() > 2
                && kept
                    .get(1)
                    .is_some_and(|(t, _)| at.duration_since(*t) >= window)
            {
                kept.pop_front();
            }
        }
        let delta = current.since(&before);
        let seconds = at.duration_since(since).as_secs_f64();
        number(b, arm, &delta, seconds).map(ResultValue::Number)
    }
}

/// The number a builtin metric asks for, from one window's counts.
pub fn number(
    b: &BuiltinMetric,
    arm: Arm,
    delta: &ArmCounts,
    seconds: f64,
) -> Result<f64, MeasureError> {
    let no_requests = || {
        MeasureError::no_data(
            NAME,
            format!("no requests to the {} arm in the window", arm_name(arm)),
        )
    };
    match b.metric {
        BuiltinMetricKind::RequestRate => Ok(if seconds > 0.0 {
            delta.requests as f64 / seconds
        } else {
            0.0
        }),
        BuiltinMetricKind::SuccessRate | BuiltinMetricKind::ErrorRate => {
            if delta.requests == 0 {
                return Err(no_requests());
            }
            let errors = delta.errors.min(delta.requests) as f64 / delta.requests as f64;
            Ok(if b.metric == BuiltinMetricKind::ErrorRate {
                errors
            } else {
                1.0 - errors
            })
        }
        BuiltinMetricKind::Latency => delta
            .latency_quantile(b.quantile.unwrap_or(DEFAULT_QUANTILE))
            .ok_or_else(no_requests),
    }
}

fn arm_name(arm: Arm) -> &'static str {
    match arm {
        Arm::Stable => "stable",
        Arm::Canary => "canary",
        Arm::Preview => "preview",
        Arm::Shadow => "shadow",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serin_engine::judge::Bucket;

    use super::*;

    fn metric(kind: BuiltinMetricKind) -> BuiltinMetric {
        BuiltinMetric {
            metric: kind,
            ..BuiltinMetric::default()
        }
    }

    #[test]
    fn rates_and_quantiles_come_from_one_windows_counts() {
        let d = ArmCounts {
            requests: 200,
            errors: 10,
            latency: vec![
                Bucket {
                    le: 0.1,
                    count: 100,
                },
                Bucket {
                    le: 0.5,
                    count: 200,
                },
                Bucket {
                    le: f64::INFINITY,
                    count: 200,
                },
            ],
        };
        let get = |k| number(&metric(k), Arm::Canary, &d, 10.0).unwrap();
        assert!((get(BuiltinMetricKind::SuccessRate) - 0.95).abs() < 1e-12);
        assert!((get(BuiltinMetricKind::ErrorRate) - 0.05).abs() < 1e-12);
        assert!((get(BuiltinMetricKind::RequestRate) - 20.0).abs() < 1e-12);
        assert!((get(BuiltinMetricKind::Latency) - 0.492).abs() < 1e-9);
    }

    #[test]
    fn a_window_without_requests_is_no_data_except_for_the_request_rate() {
        let none = ArmCounts::default();
        let err = number(
            &metric(BuiltinMetricKind::SuccessRate),
            Arm::Canary,
            &none,
            60.0,
        );
        assert!(matches!(err, Err(MeasureError::NoData { .. })));
        let rate = number(
            &metric(BuiltinMetricKind::RequestRate),
            Arm::Canary,
            &none,
            60.0,
        );
        assert_eq!(rate, Ok(0.0));
    }
}
