//! The prometheus provider and the runner against a real Prometheus
//! scraping a local service whose error share the test sets. Skipped, with a
//! notice, when /usr/bin/prometheus is missing.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use common::{Prometheus, Service, eventually, reqwest_client};
use serde_json::json;
use serin_api::AnalysisPhase;
use serin_api::analysis::{AnalysisRunSpec, AnalysisRunStatus, PrometheusMetric};
use serin_engine::measure::ResultValue;
use serin_metrics::{MemoryStore, Providers, run_analysis};
use tokio::sync::watch;

const ERROR_RATE: &str =
    "sum(rate(requests_total{code=\"500\"}[5s])) / sum(rate(requests_total[5s]))";

/// Prometheus scraping a service with `error_percent`% errors, once the
/// error-rate query has data; `None` (skip) without Prometheus.
async fn setup(error_percent: u64) -> Option<(Service, Prometheus)> {
    let (svc, addr) = Service::start(error_percent).await;
    let prom = Prometheus::start(addr).await?;
    let client = reqwest_client();
    let query = PrometheusMetric {
        address: prom.address.clone(),
        query: ERROR_RATE.into(),
        ..PrometheusMetric::default()
    };
    eventually(60, "the error-rate query to have data", || {
        let (client, query) = (client.clone(), query.clone());
        async move {
            serin_metrics::prometheus::query(&client, &query)
                .await
                .ok()
                .filter(|v| matches!(v, ResultValue::Vector(x) if x.iter().all(|n| n.is_finite())))
        }
    })
    .await;
    Some((svc, prom))
}

fn spec(metric: serde_json::Value) -> AnalysisRunSpec {
    serde_json::from_value(json!({"metrics": [metric]})).unwrap()
}

async fn run(spec: &AnalysisRunSpec) -> (AnalysisRunStatus, Arc<MemoryStore>) {
    let store = Arc::new(MemoryStore::default());
    let providers = Providers::new(reqwest_client());
    let (_stop, rx) = watch::channel(false);
    let status = run_analysis(
        "run",
        spec,
        AnalysisRunStatus::default(),
        &providers,
        &store,
        rx,
    )
    .await;
    (status, store)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_healthy_error_rate_passes_its_condition() {
    let Some((_svc, prom)) = setup(0).await else {
        return;
    };
    let s = spec(json!({
        "name": "errors", "interval": "1s", "count": 2,
        "successCondition": "result[0] < 0.05",
        "provider": {"prometheus": {"address": prom.address, "query": ERROR_RATE}},
    }));
    let (status, _) = run(&s).await;
    assert_eq!(status.phase, AnalysisPhase::Successful, "{status:#?}");
    assert_eq!(status.metric_results[0].successful, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_error_rate_fails_its_condition() {
    let Some((svc, prom)) = setup(0).await else {
        return;
    };
    svc.error_percent.store(50, Ordering::SeqCst);
    let client = reqwest_client();
    let q = PrometheusMetric {
        address: prom.address.clone(),
        query: ERROR_RATE.into(),
        ..PrometheusMetric::default()
    };
    eventually(60, "the error rate to rise", || {
        let (client, q) = (client.clone(), q.clone());
        async move {
            match serin_metrics::prometheus::query(&client, &q).await {
                Ok(ResultValue::Vector(v)) if v.first().is_some_and(|x| *x > 0.3) => Some(()),
                _ => None,
            }
        }
    })
    .await;
    let s = spec(json!({
        "name": "errors", "interval": "1s", "count": 3, "failureLimit": 0,
        "successCondition": "result[0] < 0.05",
        "provider": {"prometheus": {"address": prom.address, "query": ERROR_RATE}},
    }));
    let (status, _) = run(&s).await;
    assert_eq!(status.phase, AnalysisPhase::Failed, "{status:#?}");
    assert!(status.message.unwrap().contains("failureLimit 0"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_between_the_conditions_is_inconclusive_past_the_limit() {
    let Some((_svc, prom)) = setup(20).await else {
        return;
    };
    let s = spec(json!({
        "name": "errors", "interval": "1s", "inconclusiveLimit": 1,
        "successCondition": "result[0] < 0.05", "failureCondition": "result[0] > 0.5",
        "provider": {"prometheus": {"address": prom.address, "query": ERROR_RATE}},
    }));
    let (status, _) = run(&s).await;
    assert_eq!(status.phase, AnalysisPhase::Inconclusive, "{status:#?}");
    assert_eq!(status.metric_results[0].inconclusive, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_result_is_an_error_never_a_success() {
    let Some((_svc, prom)) = setup(0).await else {
        return;
    };
    let s = spec(json!({
        "name": "missing", "interval": "1s", "consecutiveErrorLimit": 1,
        "provider": {"prometheus": {"address": prom.address, "query": "requests_total{code=\"999\"}"}},
    }));
    let (status, _) = run(&s).await;
    assert_eq!(status.phase, AnalysisPhase::Error, "{status:#?}");
    let r = &status.metric_results[0];
    assert_eq!((r.error, r.consecutive_error, r.successful), (2, 2, 0));
    assert!(status.message.unwrap().contains("query returned no data"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_query_is_an_error_with_prometheus_message() {
    let Some((_svc, prom)) = setup(0).await else {
        return;
    };
    let s = spec(json!({
        "name": "bad", "consecutiveErrorLimit": 0,
        "provider": {"prometheus": {"address": prom.address, "query": "sum(rate(requests_total[5s]"}},
    }));
    let (status, _) = run(&s).await;
    assert_eq!(status.phase, AnalysisPhase::Error, "{status:#?}");
    let m = status.metric_results[0].measurements[0]
        .message
        .clone()
        .unwrap();
    assert!(m.contains("bad_data") && m.contains("parse error"), "{m}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_stopped_mid_analysis_ends_as_error() {
    let Some((_svc, mut prom)) = setup(0).await else {
        return;
    };
    let s = spec(json!({
        "name": "errors", "interval": "1s", "consecutiveErrorLimit": 2,
        "successCondition": "result[0] < 0.05",
        "provider": {"prometheus": {"address": prom.address, "query": ERROR_RATE, "timeout": "2s"}},
    }));
    let store = Arc::new(MemoryStore::default());
    let (_stop, rx) = watch::channel(false);
    let task = {
        let (s, store) = (s.clone(), store.clone());
        tokio::spawn(async move {
            let providers = Providers::new(reqwest_client());
            run_analysis(
                "run",
                &s,
                AnalysisRunStatus::default(),
                &providers,
                &store,
                rx,
            )
            .await
        })
    };
    eventually(30, "a first successful measurement", || {
        let store = store.clone();
        async move {
            let run = store.get("run")?;
            (run.status.metric_results.first()?.successful >= 1).then_some(())
        }
    })
    .await;
    prom.kill();
    let status = tokio::time::timeout(std::time::Duration::from_secs(60), task)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.phase, AnalysisPhase::Error, "{status:#?}");
    let r = &status.metric_results[0];
    assert_eq!(r.consecutive_error, 3);
    assert!(status.message.unwrap().contains("could not be reached"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn args_are_substituted_into_the_query() {
    let Some((_svc, prom)) = setup(0).await else {
        return;
    };
    let s: AnalysisRunSpec = serde_json::from_value(json!({
        "args": [{"name": "code", "value": "200"}, {"name": "address", "value": prom.address}],
        "metrics": [{
            "name": "ok", "successCondition": "result[0] > 0",
            "provider": {"prometheus": {"address": "{{args.address}}", "query": "requests_total{code=\"{{args.code}}\"}"}},
        }],
    }))
    .unwrap();
    let (status, _) = run(&s).await;
    assert_eq!(status.phase, AnalysisPhase::Successful, "{status:#?}");
}
