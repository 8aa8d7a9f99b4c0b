//! The runner's loop, with a scripted provider and paused tokio time:
//! pacing (`initialDelay`, `interval`, `count`), concurrency, time limits,
//! saving after every measurement, resuming, stopping, and the limits.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use serin_api::AnalysisPhase;
use serin_api::analysis::{AnalysisRunSpec, AnalysisRunStatus};
use serin_engine::measure::{Outcome, ResultValue};
use serin_metrics::{MemoryStore, MetricProvider, Request, RunStore, run_analysis};
use tokio::sync::watch;
use tokio::time::Instant;

/// Answers each metric from its script (the last answer repeats), after
/// `delay`; records when each measurement started.
#[derive(Default)]
struct Scripted {
    scripts: Mutex<BTreeMap<String, VecDeque<Step>>>,
    calls: Mutex<Vec<(String, Instant)>>,
}

#[derive(Clone)]
enum Step {
    Value(f64),
    Fail,
    Hang,
    Slow(Duration, f64),
}

impl Scripted {
    fn with(scripts: &[(&str, &[Step])]) -> Arc<Self> {
        let s = Scripted::default();
        for (name, steps) in scripts {
            s.scripts
                .lock()
                .unwrap()
                .insert(name.to_string(), steps.iter().cloned().collect());
        }
        Arc::new(s)
    }

    fn calls_of(&self, name: &str, start: Instant) -> Vec<u64> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, at)| at.duration_since(start).as_secs())
            .collect()
    }
}

impl MetricProvider for Scripted {
    async fn measure(&self, req: Request<'_>) -> Outcome {
        let name = req.metric.name.clone();
        self.calls
            .lock()
            .unwrap()
            .push((name.clone(), Instant::now()));
        let step = {
            let mut all = self.scripts.lock().unwrap();
            let q = all.get_mut(&name).unwrap();
            if q.len() > 1 {
                q.pop_front().unwrap()
            } else {
                q.front().cloned().unwrap()
            }
        };
        match step {
            Step::Value(v) => Outcome::value(ResultValue::Number(v)),
            Step::Fail => Outcome::Error("query returned no data".into()),
            Step::Hang => std::future::pending().await,
            Step::Slow(d, v) => {
                tokio::time::sleep(d).await;
                Outcome::value(ResultValue::Number(v))
            }
        }
    }
}

fn spec(v: serde_json::Value) -> AnalysisRunSpec {
    serde_json::from_value(v).unwrap()
}

fn metric(name: &str, extra: serde_json::Value) -> serde_json::Value {
    let mut m = json!({
        "name": name,
        "successCondition": "result > 0.5",
        "provider": {"exec": {"command": ["unused"], "timeout": "5s"}},
    });
    for (k, v) in extra.as_object().unwrap() {
        m[k] = v.clone();
    }
    m
}

async fn run_to_end(
    s: &AnalysisRunSpec,
    p: &Scripted,
    store: &Arc<MemoryStore>,
) -> AnalysisRunStatus {
    let (_stop, rx) = watch::channel(false);
    run_analysis("run", s, AnalysisRunStatus::default(), p, store, rx).await
}

#[tokio::test(start_paused = true)]
async fn initial_delay_interval_and_count_pace_the_measurements() {
    let s = spec(
        json!({"metrics": [metric("m", json!({"initialDelay": "30s", "interval": "10s", "count": 3}))]}),
    );
    let p = Scripted::with(&[("m", &[Step::Value(1.0)])]);
    let start = Instant::now();
    let status = run_to_end(&s, &p, &Arc::new(MemoryStore::default())).await;
    assert_eq!(status.phase, AnalysisPhase::Successful);
    assert_eq!(p.calls_of("m", start), [30, 40, 50]);
    let r = &status.metric_results[0];
    let started: Vec<i64> = r
        .measurements
        .iter()
        .map(|m| m.started_at.unwrap().as_millis() - status.started_at.unwrap().as_millis())
        .collect();
    assert_eq!(started, [30_000, 40_000, 50_000]);
}

#[tokio::test(start_paused = true)]
async fn due_metrics_are_measured_concurrently() {
    let s = spec(json!({"metrics": [metric("a", json!({})), metric("b", json!({}))]}));
    let p = Scripted::with(&[
        ("a", &[Step::Slow(Duration::from_secs(4), 1.0)]),
        ("b", &[Step::Slow(Duration::from_secs(4), 1.0)]),
    ]);
    let start = Instant::now();
    let status = run_to_end(&s, &p, &Arc::new(MemoryStore::default())).await;
    assert_eq!(status.phase, AnalysisPhase::Successful);
    assert_eq!(start.elapsed().as_secs(), 4);
}

#[tokio::test(start_paused = true)]
async fn a_measurement_past_its_time_limit_is_an_error() {
    let s = spec(json!({"metrics": [metric("m", json!({"consecutiveErrorLimit": 0}))]}));
    let p = Scripted::with(&[("m", &[Step::Hang])]);
    let start = Instant::now();
    let status = run_to_end(&s, &p, &Arc::new(MemoryStore::default())).await;
    assert_eq!(status.phase, AnalysisPhase::Error);
    assert_eq!(start.elapsed().as_secs(), 5);
    let msg = status.metric_results[0].measurements[0]
        .message
        .clone()
        .unwrap();
    assert!(msg.contains("5s time limit"), "{msg}");
}

#[tokio::test(start_paused = true)]
async fn consecutive_errors_past_the_limit_end_the_run_as_error() {
    let s = spec(json!({"metrics": [metric("m", json!({"interval": "10s"}))]}));
    let p = Scripted::with(&[("m", &[Step::Fail])]);
    let status = run_to_end(&s, &p, &Arc::new(MemoryStore::default())).await;
    assert_eq!(status.phase, AnalysisPhase::Error);
    assert_eq!(status.metric_results[0].consecutive_error, 5);
}

#[tokio::test(start_paused = true)]
async fn failures_within_the_failure_limit_still_pass_at_the_count() {
    let s = spec(
        json!({"metrics": [metric("m", json!({"interval": "1s", "count": 4, "failureLimit": 2}))]}),
    );
    let p = Scripted::with(&[(
        "m",
        &[
            Step::Value(0.0),
            Step::Value(1.0),
            Step::Value(0.0),
            Step::Value(1.0),
        ],
    )]);
    let status = run_to_end(&s, &p, &Arc::new(MemoryStore::default())).await;
    assert_eq!(status.phase, AnalysisPhase::Successful);
    assert_eq!(status.metric_results[0].failed, 2);
    let s = spec(
        json!({"metrics": [metric("m", json!({"interval": "1s", "count": 4, "failureLimit": 1}))]}),
    );
    let p = Scripted::with(&[(
        "m",
        &[
            Step::Value(0.0),
            Step::Value(1.0),
            Step::Value(0.0),
            Step::Value(1.0),
        ],
    )]);
    assert_eq!(
        run_to_end(&s, &p, &Arc::new(MemoryStore::default()))
            .await
            .phase,
        AnalysisPhase::Failed
    );
}

#[tokio::test(start_paused = true)]
async fn a_failing_dry_run_metric_does_not_fail_the_run() {
    let s = spec(json!({
        "metrics": [metric("real", json!({})), metric("trial", json!({}))],
        "dryRun": [{"metricName": "trial"}],
    }));
    let p = Scripted::with(&[
        ("real", &[Step::Value(1.0)]),
        ("trial", &[Step::Value(0.0)]),
    ]);
    let status = run_to_end(&s, &p, &Arc::new(MemoryStore::default())).await;
    assert_eq!(status.phase, AnalysisPhase::Successful);
    let trial = status
        .metric_results
        .iter()
        .find(|r| r.name == "trial")
        .unwrap();
    assert_eq!((trial.phase, trial.dry_run), (AnalysisPhase::Failed, true));
}

#[tokio::test(start_paused = true)]
async fn retention_bounds_the_measurements_kept() {
    let s = spec(json!({
        "metrics": [metric("m", json!({"interval": "1s", "count": 7}))],
        "measurementRetention": [{"metricName": "m", "limit": 3}],
    }));
    let p = Scripted::with(&[("m", &[Step::Value(1.0)])]);
    let status = run_to_end(&s, &p, &Arc::new(MemoryStore::default())).await;
    let r = &status.metric_results[0];
    assert_eq!((r.count, r.measurements.len()), (7, 3));
}

#[tokio::test(start_paused = true)]
async fn the_status_is_saved_after_every_measurement() {
    let s = spec(json!({"metrics": [metric("m", json!({"interval": "1s", "count": 3}))]}));
    let p = Scripted::with(&[("m", &[Step::Value(1.0)])]);
    let store = Arc::new(MemoryStore::default());
    let status = run_to_end(&s, &p, &store).await;
    assert_eq!(store.saves(), 1 + 3);
    assert_eq!(store.get("run").unwrap().status, status);
}

#[tokio::test(start_paused = true)]
async fn a_restarted_runner_resumes_where_the_last_one_stopped() {
    let s = spec(json!({"metrics": [metric("m", json!({"interval": "10s", "count": 4}))]}));
    let p = Scripted::with(&[("m", &[Step::Value(1.0)])]);
    let store = Arc::new(MemoryStore::default());
    let first = {
        let (s, p, store) = (s.clone(), p.clone(), store.clone());
        tokio::spawn(async move { run_to_end(&s, &p, &store).await })
    };
    tokio::time::sleep(Duration::from_secs(15)).await;
    first.abort();
    let saved = store.load_all().await.unwrap().remove("run").unwrap();
    assert_eq!(saved.status.metric_results[0].count, 2);
    let (_stop, rx) = watch::channel(false);
    let start = Instant::now();
    let status = run_analysis("run", &saved.spec, saved.status, &*p, &store, rx).await;
    assert_eq!(status.phase, AnalysisPhase::Successful);
    assert_eq!(status.metric_results[0].count, 4);
    assert_eq!(p.calls.lock().unwrap().len(), 4);
    assert_eq!(start.elapsed().as_secs(), 15);
}

#[tokio::test(start_paused = true)]
async fn stopping_ends_the_run_with_the_verdict_so_far() {
    let s = spec(json!({"metrics": [metric("m", json!({"interval": "10s"}))]}));
    let p = Scripted::with(&[("m", &[Step::Value(1.0)])]);
    let store = Arc::new(MemoryStore::default());
    let (stop, rx) = watch::channel(false);
    let task = {
        let (s, p, store) = (s.clone(), p.clone(), store.clone());
        tokio::spawn(async move {
            run_analysis("run", &s, AnalysisRunStatus::default(), &*p, &store, rx).await
        })
    };
    tokio::time::sleep(Duration::from_secs(25)).await;
    stop.send(true).unwrap();
    let status = task.await.unwrap();
    assert_eq!(status.phase, AnalysisPhase::Successful);
    assert_eq!(status.metric_results[0].count, 3);
    assert!(status.message.unwrap().starts_with("terminated"));
    assert_eq!(
        store.get("run").unwrap().status.phase,
        AnalysisPhase::Successful
    );
}

#[tokio::test(start_paused = true)]
async fn a_terminated_spec_measures_nothing() {
    let mut s = spec(json!({"metrics": [metric("m", json!({"interval": "10s"}))]}));
    s.terminate = true;
    let p = Scripted::with(&[("m", &[Step::Value(0.0)])]);
    let status = run_to_end(&s, &p, &Arc::new(MemoryStore::default())).await;
    assert_eq!(status.phase, AnalysisPhase::Successful);
    assert!(p.calls.lock().unwrap().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_missing_argument_ends_the_run_as_error_before_measuring() {
    let s = spec(json!({
        "args": [{"name": "svc"}],
        "metrics": [metric("m", json!({"provider": {"exec": {"command": ["check", "{{args.svc}}"]}}}))],
    }));
    let p = Scripted::with(&[("m", &[Step::Value(1.0)])]);
    let status = run_to_end(&s, &p, &Arc::new(MemoryStore::default())).await;
    assert_eq!(status.phase, AnalysisPhase::Error);
    assert!(
        status
            .message
            .unwrap()
            .contains("argument 'svc' has no value")
    );
    assert!(p.calls.lock().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deeply_nested_condition_is_evaluated_without_overflowing_the_stack() {
    let deep = format!("{}result{} > 0.5", "(".repeat(30), ")".repeat(30));
    let s = spec(json!({"metrics": [metric("m", json!({"successCondition": deep}))]}));
    let p = Scripted::with(&[("m", &[Step::Value(1.0)])]);
    let status = run_to_end(&s, &p, &Arc::new(MemoryStore::default())).await;
    assert_eq!(status.phase, AnalysisPhase::Successful);
}
