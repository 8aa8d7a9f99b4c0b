//! The analysis part of the view: each run of the current release with its
//! verdict, and, when the run itself is known (the daemon's run store, or
//! the AnalysisRun object on Kubernetes), each metric with its latest
//! measurements and, for a sequential metric, the judge's evidence against
//! its boundaries ([`crate::judge`]).

use serde::{Deserialize, Serialize};
use serin_api::analysis::{AnalysisRunSpec, AnalysisRunStatus, Measurement, MetricResult};
use serin_api::status::AnalysisSummary;
use serin_api::{AnalysisPhase, Time};

use crate::judge::{self, JudgeView};

/// One analysis run as stored: what [`crate::build`] reads to show its
/// metrics and measurements.
#[derive(Clone, Copy, Debug)]
pub struct RunInput<'a> {
    /// The run's name, as in the rollout's status (`v2-1-step-2`).
    pub name: &'a str,
    /// Its metrics.
    pub spec: &'a AnalysisRunSpec,
    /// Its results so far.
    pub status: &'a AnalysisRunStatus,
}

/// One analysis run.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AnalysisView {
    /// The run's name.
    pub name: String,
    /// Why it runs (`step`, `background`, `prePromotion`...).
    pub kind: String,
    /// Its verdict so far.
    pub phase: String,
    /// Why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Each metric with its measurements (empty when the run is not known,
    /// or for a webhook call).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metrics: Vec<MetricView>,
}

/// One metric of a run.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MetricView {
    /// The metric's name.
    pub name: String,
    /// `prometheus`, `web`, `exec`, `builtin` or `sequential`.
    pub provider: String,
    /// Its verdict so far (`Pending` before the first measurement).
    pub phase: String,
    /// Why, for a person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Measurements taken, failed, and erred, over the whole run.
    pub count: i32,
    /// Failed measurements.
    pub failed: i32,
    /// Measurements that erred.
    pub errors: i32,
    /// Dry-run: its verdict does not count.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dry_run: bool,
    /// The measurements kept (`measurementRetention`, 10 by default), oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub measurements: Vec<MeasurementView>,
    /// For a sequential metric: the judge's evidence over those measurements.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judge: Option<JudgeView>,
}

/// One measurement.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MeasurementView {
    /// When it finished (else started).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Time>,
    /// Its verdict.
    pub phase: String,
    /// The value measured, as text. None for a sequential metric, whose
    /// value is the judge's state (its evidence is in [`MetricView::judge`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Why, for a person (an error's text, the judge's summary).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// `Step` → `step`, `PrePromotion` → `prePromotion`.
pub(crate) fn debug_name(v: &impl std::fmt::Debug) -> String {
    let s = format!("{v:?}");
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_lowercase().chain(c).collect(),
        None => s,
    }
}

/// The view of one run of the status, with its metrics when `run` is known.
pub(crate) fn of(summary: &AnalysisSummary, run: Option<&RunInput<'_>>) -> AnalysisView {
    AnalysisView {
        name: summary.name.clone(),
        kind: debug_name(&summary.kind),
        phase: format!("{:?}", summary.phase),
        message: summary.message.clone(),
        metrics: run.map(metrics).unwrap_or_default(),
    }
}

/// Every metric of the run's spec, in the spec's order, with its results.
fn metrics(run: &RunInput<'_>) -> Vec<MetricView> {
    run.spec
        .metrics
        .iter()
        .map(|m| {
            let result = run.status.metric_results.iter().find(|r| r.name == m.name);
            let provider = m
                .provider
                .set_fields()
                .first()
                .copied()
                .unwrap_or("none")
                .to_owned();
            metric(&m.name, provider, result)
        })
        .collect()
}

fn metric(name: &str, provider: String, result: Option<&MetricResult>) -> MetricView {
    let sequential = provider == "sequential";
    let empty = MetricResult::default();
    let r = result.unwrap_or(&empty);
    let phase = if result.is_some() {
        r.phase
    } else {
        AnalysisPhase::Pending
    };
    MetricView {
        name: name.to_owned(),
        phase: format!("{phase:?}"),
        message: r.message.clone(),
        count: r.count,
        failed: r.failed,
        errors: r.error,
        dry_run: r.dry_run,
        measurements: r
            .measurements
            .iter()
            .map(|m| measurement(m, sequential))
            .collect(),
        judge: sequential.then(|| judge::of(&r.measurements)).flatten(),
        provider,
    }
}

fn measurement(m: &Measurement, sequential: bool) -> MeasurementView {
    MeasurementView {
        at: m.finished_at.or(m.started_at),
        phase: format!("{:?}", m.phase),
        value: if sequential { None } else { m.value.clone() },
        message: m.message.clone(),
    }
}
