//! Recording one measurement: its phase (conditions over the value, the
//! provider's own verdict, or Error), the metric's counters, the retained
//! measurements, and the new phases of the metric and the run.

use std::collections::BTreeMap;

use serin_api::analysis::{AnalysisRunSpec, AnalysisRunStatus, Measurement, MetricResult};
use serin_api::{AnalysisPhase, Time};

use super::condition::evaluate;
use super::limits::{Limits, is_dry_run, retention};
use super::value::Outcome;
use super::verdict::{metric_phase, run_message, run_phase};

/// Records the outcome of one measurement of metric `name`, taken from
/// `started` to `finished`, and updates the metric's and the run's phases.
/// A metric already decided, or a run already over, is left unchanged; so
/// is an unknown metric.
pub fn record(
    spec: &AnalysisRunSpec,
    status: &mut AnalysisRunStatus,
    name: &str,
    outcome: Outcome,
    started: Time,
    finished: Time,
) {
    if status.phase.is_terminal() {
        return;
    }
    let Some(metric) = spec.metrics.iter().find(|m| m.name == name) else {
        return;
    };
    let args: BTreeMap<String, String> = spec
        .args
        .iter()
        .filter_map(|a| a.value.clone().map(|v| (a.name.clone(), v)))
        .collect();
    let measurement = measurement(metric, outcome, &args, started, finished);
    let keep = retention(spec, name);
    let dry_run = is_dry_run(spec, name);
    let index = match status.metric_results.iter().position(|r| r.name == name) {
        Some(i) => i,
        None => {
            status.metric_results.push(MetricResult {
                name: name.to_string(),
                dry_run,
                ..MetricResult::default()
            });
            status.metric_results.len() - 1
        }
    };
    let Some(r) = status.metric_results.get_mut(index) else {
        return;
    };
    if r.phase.is_terminal() {
        return;
    }
    count(r, &measurement);
    r.measurements.push(measurement);
    let excess = r.measurements.len().saturating_sub(keep);
    r.measurements.drain(..excess);
    r.phase = metric_phase(metric, r);
    r.message = metric_message(metric, r);

    status.phase = run_phase(spec, status);
    status.message = run_message(spec, status);
}

fn measurement(
    metric: &serin_api::analysis::Metric,
    outcome: Outcome,
    args: &BTreeMap<String, String>,
    started: Time,
    finished: Time,
) -> Measurement {
    let (phase, value, message) = match outcome {
        Outcome::Error(message) => (AnalysisPhase::Error, None, Some(message)),
        Outcome::Judged {
            phase,
            value,
            message,
        } => (phase, Some(value), Some(message)),
        Outcome::Value {
            result,
            unconditioned,
            note,
        } => match evaluate(metric, &result, args, unconditioned) {
            Ok(phase) => (phase, Some(result.text()), note),
            Err(e) => (
                AnalysisPhase::Error,
                Some(result.text()),
                Some(e.to_string()),
            ),
        },
    };
    Measurement {
        phase,
        value,
        started_at: Some(started),
        finished_at: Some(finished),
        message,
    }
}

fn count(r: &mut MetricResult, m: &Measurement) {
    if m.phase == AnalysisPhase::Error {
        r.error += 1;
        r.consecutive_error += 1;
        return;
    }
    r.consecutive_error = 0;
    r.count += 1;
    match m.phase {
        AnalysisPhase::Successful => r.successful += 1,
        AnalysisPhase::Failed => r.failed += 1,
        AnalysisPhase::Inconclusive => r.inconclusive += 1,
        _ => {}
    }
}

/// Why the metric is where it is, for a person; `None` while all is well.
fn metric_message(metric: &serin_api::analysis::Metric, r: &MetricResult) -> Option<String> {
    let limits = Limits::of(metric);
    let last = r.measurements.last();
    let detail = last.map(|m| match (&m.value, &m.message) {
        (_, Some(msg)) => msg.clone(),
        (Some(v), None) => format!("result {v}"),
        (None, None) => "no value".into(),
    });
    let detail = detail.unwrap_or_default();
    match r.phase {
        AnalysisPhase::Failed => Some(format!(
            "{} failed measurement(s), more than failureLimit {}; last: {detail}",
            r.failed, limits.failure
        )),
        AnalysisPhase::Inconclusive => Some(format!(
            "{} inconclusive measurement(s), more than inconclusiveLimit {}; last: {detail}",
            r.inconclusive, limits.inconclusive
        )),
        AnalysisPhase::Error => Some(format!(
            "{} consecutive error(s), more than consecutiveErrorLimit {}; last: {detail}",
            r.consecutive_error, limits.consecutive_error
        )),
        _ if last.is_some_and(|m| m.phase != AnalysisPhase::Successful) => Some(detail),
        _ => None,
    }
}
