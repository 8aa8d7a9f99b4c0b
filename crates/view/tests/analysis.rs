//! The analysis part of the read model: each metric of a run with its
//! measurements, and the sequential judge's evidence against its
//! boundaries, read from the judge state each measurement holds.
#![allow(clippy::unwrap_used)]

use serin_api::analysis::{AnalysisRunSpec, AnalysisRunStatus, Measurement, MetricResult};
use serin_api::{AnalysisPhase, RolloutSpec, RolloutStatus, Time};
use serin_engine::judge::{ArmDelta, JudgeConfig, SequentialJudge};
use serin_view::{Inputs, RolloutView, RunInput, build, render};

fn spec() -> RolloutSpec {
    serde_json::from_value(serde_json::json!({
        "local": {"command": ["app"], "version": "v1"},
        "strategy": {"canary": {"steps": [{"setWeight": 20}, {"analysis": {"templates": [{"templateName": "errors"}]}}]}}
    }))
    .unwrap()
}

fn status() -> RolloutStatus {
    serde_json::from_value(serde_json::json!({
        "phase": "Progressing", "currentStepIndex": 1, "stepDisplay": "1/2",
        "stableRevision": "v1", "currentRevision": "v2",
        "traffic": {"stable": "v1", "canary": "v2", "canaryWeight": 20}, "trafficVerified": true,
        "analysis": [{"name": "v2-1-step-1", "kind": "step", "step": 1, "phase": "Running"}]
    }))
    .unwrap()
}

fn run_spec() -> AnalysisRunSpec {
    serde_json::from_value(serde_json::json!({"metrics": [
        {"name": "error-rate", "interval": "10s",
         "successCondition": "result < 0.05",
         "provider": {"prometheus": {"address": "http://prometheus:9090", "query": "q"}}},
        {"name": "errors", "provider": {"sequential": {"test": "errors"}}},
        {"name": "latency", "provider": {"sequential": {"test": "latency"}}}
    ]}))
    .unwrap()
}

fn at(s: i64) -> Option<Time> {
    Some(Time::from_millis(1_800_000_000_000 + s * 1000))
}

/// Three looks of a judge seeing a canary as good as stable.
fn judged(config: JudgeConfig) -> MetricResult {
    let mut judge = SequentialJudge::new(config);
    let measurements = (1..=3)
        .map(|look| {
            judge.observe(ArmDelta::new(200, 1), ArmDelta::new(800, 4));
            Measurement {
                phase: judge.verdict().phase(),
                value: Some(judge.to_value().unwrap()),
                started_at: at(look * 10 - 1),
                finished_at: at(look * 10),
                message: Some(judge.message()),
            }
        })
        .collect();
    MetricResult {
        name: "errors".into(),
        phase: AnalysisPhase::Running,
        count: 3,
        measurements,
        ..MetricResult::default()
    }
}

fn run_status() -> AnalysisRunStatus {
    let value = |v: &str, phase, s| Measurement {
        phase,
        value: Some(v.into()),
        started_at: at(s),
        finished_at: at(s),
        message: None,
    };
    AnalysisRunStatus {
        phase: AnalysisPhase::Running,
        metric_results: vec![
            MetricResult {
                name: "error-rate".into(),
                phase: AnalysisPhase::Running,
                count: 2,
                failed: 1,
                measurements: vec![
                    value("0.01", AnalysisPhase::Successful, 10),
                    value("0.2", AnalysisPhase::Failed, 20),
                ],
                ..MetricResult::default()
            },
            judged(JudgeConfig::default()),
        ],
        ..AnalysisRunStatus::default()
    }
}

fn view(runs: Vec<RunInput<'_>>) -> RolloutView {
    let (spec, status) = (spec(), status());
    build(Inputs {
        name: "web",
        spec: &spec,
        status: &status,
        desired_revision: "v2",
        arms: Vec::new(),
        runs,
        now: Time::from_millis(1_800_000_100_000),
    })
}

#[test]
fn a_known_run_shows_every_metric_with_its_measurements_in_the_spec_order() {
    let (spec, status) = (run_spec(), run_status());
    let v = view(vec![RunInput {
        name: "v2-1-step-1",
        spec: &spec,
        status: &status,
    }]);
    let metrics = &v.analysis[0].metrics;
    let names: Vec<(&str, &str, &str)> = metrics
        .iter()
        .map(|m| (m.name.as_str(), m.provider.as_str(), m.phase.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("error-rate", "prometheus", "Running"),
            ("errors", "sequential", "Running"),
            ("latency", "sequential", "Pending"),
        ]
    );
    let values: Vec<Option<&str>> = metrics[0]
        .measurements
        .iter()
        .map(|m| m.value.as_deref())
        .collect();
    assert_eq!(values, [Some("0.01"), Some("0.2")]);
    assert_eq!(metrics[0].measurements[1].at, at(20));
}

#[test]
fn a_sequential_metric_shows_the_evidence_of_each_look_against_its_boundaries() {
    let (spec, status) = (run_spec(), run_status());
    let v = view(vec![RunInput {
        name: "v2-1-step-1",
        spec: &spec,
        status: &status,
    }]);
    let errors = &v.analysis[0].metrics[1];
    let judge = errors.judge.as_ref().unwrap();
    assert_eq!(judge.evidence.len(), 3);
    assert!((judge.fail_at - 100f64.ln()).abs() < 1e-9, "{judge:?}");
    assert!((judge.pass_at - 100f64.ln()).abs() < 1e-9, "{judge:?}");
    let canary: Vec<u64> = judge.evidence.iter().map(|e| e.canary.requests).collect();
    assert_eq!(canary, [200, 400, 600]);
    assert!(
        judge.evidence[2].no_degradation > judge.evidence[0].no_degradation,
        "a canary as good as stable gathers evidence of no degradation: {judge:?}"
    );
    assert!(errors.measurements.iter().all(|m| m.value.is_none()));
    assert!(v.analysis[0].metrics[2].judge.is_none());
}

#[test]
fn a_run_not_stored_shows_its_verdict_only() {
    let v = view(Vec::new());
    assert_eq!(v.analysis[0].phase, "Running");
    assert!(v.analysis[0].metrics.is_empty());
    let json = serde_json::to_value(&v).unwrap();
    assert!(json["analysis"][0].get("metrics").is_none(), "{json}");
}

#[test]
fn serin_status_prints_each_metric_under_its_run() {
    let (spec, status) = (run_spec(), run_status());
    let v = view(vec![RunInput {
        name: "v2-1-step-1",
        spec: &spec,
        status: &status,
    }]);
    insta::assert_snapshot!(render(&v));
}
