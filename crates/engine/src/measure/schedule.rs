//! When each metric is measured: the first time `initialDelay` after the run
//! started, then every `interval` after the previous measurement finished,
//! until its `count` or a verdict. A metric without interval is measured
//! once; an erred measurement of such a metric is retried after 10s.

use serin_api::analysis::{AnalysisRunSpec, AnalysisRunStatus, MetricResult};
use serin_api::{AnalysisPhase, Time};

use super::limits::{DEFAULT_ERROR_RETRY_MS, Limits, is_dry_run};

/// Starts the run at `now` if it has not started: sets `startedAt`, the
/// phase Running (Successful at once when there is no metric), and one
/// Pending result per metric. A started run is left as it is.
pub fn start(spec: &AnalysisRunSpec, status: &mut AnalysisRunStatus, now: Time) {
    if status.started_at.is_none() {
        status.started_at = Some(now);
    }
    for metric in &spec.metrics {
        if !status.metric_results.iter().any(|r| r.name == metric.name) {
            status.metric_results.push(MetricResult {
                name: metric.name.clone(),
                dry_run: is_dry_run(spec, &metric.name),
                ..MetricResult::default()
            });
        }
    }
    if status.phase == AnalysisPhase::Pending {
        status.phase = super::verdict::run_phase(spec, status);
        if status.phase == AnalysisPhase::Pending {
            status.phase = AnalysisPhase::Running;
        }
    }
}

/// When the metric named `name` is next due; `None` when it is done, the run
/// is over, or the metric is unknown.
pub fn next_due(spec: &AnalysisRunSpec, status: &AnalysisRunStatus, name: &str) -> Option<Time> {
    if status.phase.is_terminal() || spec.terminate {
        return None;
    }
    let metric = spec.metrics.iter().find(|m| m.name == name)?;
    let result = status.metric_results.iter().find(|r| r.name == name);
    if result.is_some_and(|r| r.phase.is_terminal()) {
        return None;
    }
    let limits = Limits::of(metric);
    let started = status.started_at?;
    let Some(last) = result.and_then(|r| r.measurements.last()) else {
        return Some(started.plus_millis(limits.initial_delay_ms));
    };
    let finished = last.finished_at.or(last.started_at).unwrap_or(started);
    let again = matches!(last.phase, AnalysisPhase::Error | AnalysisPhase::Running);
    match limits.interval_ms {
        Some(ms) => Some(finished.plus_millis(ms)),
        None if again => Some(finished.plus_millis(DEFAULT_ERROR_RETRY_MS)),
        // Measured once and judged; the verdict is recorded. Nothing more.
        None => None,
    }
}

/// The metrics due at `now`, in spec order.
pub fn due(spec: &AnalysisRunSpec, status: &AnalysisRunStatus, now: Time) -> Vec<String> {
    spec.metrics
        .iter()
        .filter(|m| next_due(spec, status, &m.name).is_some_and(|t| t <= now))
        .map(|m| m.name.clone())
        .collect()
}
