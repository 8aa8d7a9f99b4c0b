//! A metric's limits with Argo's defaults applied, and the run-level
//! settings that name metrics: `dryRun` and `measurementRetention`.

use serin_api::analysis::{AnalysisRunSpec, DEFAULT_CONSECUTIVE_ERROR_LIMIT, Metric};

/// Measurements kept per metric when `measurementRetention` says nothing.
pub const DEFAULT_MEASUREMENT_RETENTION: usize = 10;
/// When a measurement erred (or the sequential judge has no verdict yet) and
/// the metric has no interval, it is measured again after this long.
pub const DEFAULT_ERROR_RETRY_MS: u64 = 10_000;

/// A metric's limits and schedule, defaults applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Failed measurements tolerated (the metric fails above this).
    pub failure: i32,
    /// Inconclusive measurements tolerated.
    pub inconclusive: i32,
    /// Consecutive errors tolerated (the metric errs above this).
    pub consecutive_error: i32,
    /// Judged measurements after which the metric is done; `None` is
    /// unbounded (an interval and no count). Without an interval, 1.
    pub count: Option<i32>,
    /// Time between measurements, if any.
    pub interval_ms: Option<u64>,
    /// Time before the first measurement.
    pub initial_delay_ms: u64,
}

impl Limits {
    /// The limits of `metric`. An unparsable duration (only an unvalidated
    /// spec has one) counts as zero delay, or no interval.
    pub fn of(metric: &Metric) -> Self {
        let interval_ms = metric
            .interval
            .as_ref()
            .and_then(|d| d.parse().ok())
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .filter(|ms| *ms > 0);
        let count = match (metric.count, interval_ms) {
            (Some(n), _) => Some(n.max(1)),
            (None, None) => Some(1),
            (None, Some(_)) => None,
        };
        // Validation refuses negative limits; an unvalidated one counts as 0.
        Self {
            failure: metric.failure_limit.unwrap_or(0).max(0),
            inconclusive: metric.inconclusive_limit.unwrap_or(0).max(0),
            consecutive_error: metric
                .consecutive_error_limit
                .unwrap_or(DEFAULT_CONSECUTIVE_ERROR_LIMIT)
                .max(0),
            count,
            interval_ms,
            initial_delay_ms: metric.initial_delay.as_ref().map_or(0, |d| d.millis_or(0)),
        }
    }
}

/// Whether the run's `dryRun` names the metric (or `*`).
pub fn is_dry_run(spec: &AnalysisRunSpec, metric: &str) -> bool {
    spec.dry_run
        .iter()
        .any(|s| s.metric_name == metric || s.metric_name == "*")
}

/// Measurements kept for the metric: its own `measurementRetention` entry,
/// else the `*` entry, else 10; at least 1 (the last one drives the schedule
/// and holds the sequential judge's state).
pub fn retention(spec: &AnalysisRunSpec, metric: &str) -> usize {
    let by_name = spec
        .measurement_retention
        .iter()
        .find(|r| r.metric_name == metric);
    let any = spec
        .measurement_retention
        .iter()
        .find(|r| r.metric_name == "*");
    by_name
        .or(any)
        .map_or(DEFAULT_MEASUREMENT_RETENTION, |r| {
            usize::try_from(r.limit).unwrap_or(0)
        })
        .max(1)
}
