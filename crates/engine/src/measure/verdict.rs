//! Verdicts: a metric's phase from its counts and limits, the run's phase as
//! the worst of its metrics (dry-run metrics never count), `terminate`, and
//! ending a run that cannot be measured at all.

use serin_api::AnalysisPhase;
use serin_api::analysis::{AnalysisRunSpec, AnalysisRunStatus, Metric, MetricResult};

use super::limits::Limits;

/// The metric's phase after its latest measurement: Failed when failed
/// measurements exceed `failureLimit`, Inconclusive when inconclusive ones
/// exceed `inconclusiveLimit`, Error when consecutive errors exceed
/// `consecutiveErrorLimit`, Successful once `count` judged measurements are
/// in (or the sequential judge said so), Running otherwise.
pub fn metric_phase(metric: &Metric, r: &MetricResult) -> AnalysisPhase {
    let limits = Limits::of(metric);
    if r.failed > limits.failure {
        return AnalysisPhase::Failed;
    }
    if r.inconclusive > limits.inconclusive {
        return AnalysisPhase::Inconclusive;
    }
    if r.consecutive_error > limits.consecutive_error {
        return AnalysisPhase::Error;
    }
    if metric.provider.sequential.is_some() {
        // The judge's verdict ends the metric; `count` does not.
        return match r.measurements.last().map(|m| m.phase) {
            Some(AnalysisPhase::Successful) => AnalysisPhase::Successful,
            _ if r.count == 0 && r.error == 0 => AnalysisPhase::Pending,
            _ => AnalysisPhase::Running,
        };
    }
    let judged = r.successful + r.failed + r.inconclusive;
    match limits.count {
        Some(n) if judged >= n => AnalysisPhase::Successful,
        _ if judged == 0 && r.error == 0 => AnalysisPhase::Pending,
        _ => AnalysisPhase::Running,
    }
}

fn severity(phase: AnalysisPhase) -> u8 {
    match phase {
        AnalysisPhase::Failed => 5,
        AnalysisPhase::Error => 4,
        AnalysisPhase::Inconclusive => 3,
        AnalysisPhase::Running | AnalysisPhase::Pending => 2,
        AnalysisPhase::Successful => 1,
    }
}

/// The run's phase: the worst phase of its non-dry-run metrics (Failed >
/// Error > Inconclusive > Running > Successful). With only dry-run metrics,
/// Running until they are all done, then Successful. No metric: Successful.
pub fn run_phase(spec: &AnalysisRunSpec, status: &AnalysisRunStatus) -> AnalysisPhase {
    let phase_of = |name: &str| {
        status
            .metric_results
            .iter()
            .find(|r| r.name == name)
            .map_or(AnalysisPhase::Pending, |r| r.phase)
    };
    let counted: Vec<AnalysisPhase> = spec
        .metrics
        .iter()
        .filter(|m| !super::limits::is_dry_run(spec, &m.name))
        .map(|m| phase_of(&m.name))
        .collect();
    let worst = counted
        .iter()
        .copied()
        .max_by_key(|p| severity(*p))
        .unwrap_or(AnalysisPhase::Successful);
    let dry_running = spec
        .metrics
        .iter()
        .any(|m| super::limits::is_dry_run(spec, &m.name) && !phase_of(&m.name).is_terminal());
    match worst {
        AnalysisPhase::Pending => AnalysisPhase::Running,
        AnalysisPhase::Successful if dry_running => AnalysisPhase::Running,
        other => other,
    }
}

/// Ends the run with the verdict so far (`terminate`, or the engine's
/// `StopAnalysis`): metrics not yet decided count as Successful, so the run
/// is Successful unless a metric already failed, erred or was inconclusive.
pub fn terminate(spec: &AnalysisRunSpec, status: &mut AnalysisRunStatus) {
    if status.phase.is_terminal() {
        return;
    }
    for r in &mut status.metric_results {
        if !r.phase.is_terminal() {
            r.phase = AnalysisPhase::Successful;
            r.message = Some("terminated before a verdict; counted as Successful".into());
        }
    }
    status.phase = run_phase(spec, status);
    if status.phase == AnalysisPhase::Running {
        status.phase = AnalysisPhase::Successful;
    }
    status.message = Some(match run_message(spec, status) {
        Some(m) => format!("terminated: {m}"),
        None => "terminated".into(),
    });
}

/// Ends the run as Error without measuring (for example an argument without
/// a value): a fault of the spec that no retry can mend.
pub fn fail_run(status: &mut AnalysisRunStatus, message: impl Into<String>) {
    status.phase = AnalysisPhase::Error;
    status.message = Some(message.into());
}

/// The run's message: each metric that is not Successful nor Running, with
/// why; dry-run metrics are marked so.
pub(crate) fn run_message(spec: &AnalysisRunSpec, status: &AnalysisRunStatus) -> Option<String> {
    let parts: Vec<String> = spec
        .metrics
        .iter()
        .filter_map(|m| status.metric_results.iter().find(|r| r.name == m.name))
        .filter(|r| {
            matches!(
                r.phase,
                AnalysisPhase::Failed | AnalysisPhase::Error | AnalysisPhase::Inconclusive
            )
        })
        .map(|r| {
            let dry = if r.dry_run { " (dry run)" } else { "" };
            let word = match r.phase {
                AnalysisPhase::Failed => "failed",
                AnalysisPhase::Error => "erred",
                _ => "was inconclusive",
            };
            match &r.message {
                Some(m) => format!("metric {}{dry} {word}: {m}", r.name),
                None => format!("metric {}{dry} {word}", r.name),
            }
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}
