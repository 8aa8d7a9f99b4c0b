//! The web, exec, builtin and sequential providers, each through
//! [`Providers`]: a real local HTTP service, real commands, and a fake
//! per-arm feed (paused time for the builtin windows).
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use serde_json::json;
use serin_api::AnalysisPhase;
use serin_api::analysis::{Arm, Measurement, Metric};
use serin_engine::judge::Bucket;
use serin_engine::measure::{Outcome, ResultValue};
use serin_metrics::{ArmCounts, ArmFeed, MetricProvider, Providers, Request};

fn metric(v: serde_json::Value) -> Metric {
    serde_json::from_value(v).unwrap()
}

async fn measure(p: &Providers, m: &Metric, last: Option<&Measurement>) -> Outcome {
    p.measure(Request {
        run: "run",
        metric: m,
        last,
        sequential_metrics: 1,
    })
    .await
}

fn providers() -> Providers {
    Providers::new(serin_metrics::http_client().unwrap())
}

fn error_text(o: &Outcome) -> String {
    match o {
        Outcome::Error(e) => e.clone(),
        other => panic!("expected an error, got {other:?}"),
    }
}

async fn web_service() -> String {
    let app = Router::new()
        .route(
            "/stats",
            get(|| async { axum::Json(json!({"data": {"rate": 0.02, "ok": true}})) }),
        )
        .route(
            "/echo",
            post(|headers: HeaderMap, body: String| async move {
                let token = headers
                    .get("x-token")
                    .map(|v| v.to_str().unwrap().to_string());
                axum::Json(json!({"token": token, "body": body}))
            }),
        )
        .route(
            "/broken",
            get(|| async { (StatusCode::SERVICE_UNAVAILABLE, "overloaded") }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test]
async fn web_selects_the_value_with_json_path() {
    let base = web_service().await;
    let m = metric(
        json!({"name": "w", "provider": {"web": {"url": format!("{base}/stats"), "jsonPath": "{$.data.rate}"}}}),
    );
    assert_eq!(
        measure(&providers(), &m, None).await,
        Outcome::value(ResultValue::Json(json!(0.02)))
    );
    let whole = metric(json!({"name": "w", "provider": {"web": {"url": format!("{base}/stats")}}}));
    let Outcome::Value {
        result: ResultValue::Json(j),
        ..
    } = measure(&providers(), &whole, None).await
    else {
        panic!("no value")
    };
    assert_eq!(j["data"]["ok"], true);
}

#[tokio::test]
async fn web_posts_the_body_with_the_headers() {
    let base = web_service().await;
    let m = metric(json!({"name": "w", "provider": {"web": {
        "url": format!("{base}/echo"), "method": "POST", "body": "{\"q\":1}",
        "headers": [{"key": "X-Token", "value": "s3cret"}], "jsonPath": "$"}}}));
    assert_eq!(
        measure(&providers(), &m, None).await,
        Outcome::value(ResultValue::Json(
            json!({"token": "s3cret", "body": "{\"q\":1}"})
        ))
    );
}

#[tokio::test]
async fn web_non_2xx_and_no_match_are_errors() {
    let base = web_service().await;
    let broken =
        metric(json!({"name": "w", "provider": {"web": {"url": format!("{base}/broken")}}}));
    let e = error_text(&measure(&providers(), &broken, None).await);
    assert!(e.contains("503") && e.contains("overloaded"), "{e}");
    let nothing = metric(
        json!({"name": "w", "provider": {"web": {"url": format!("{base}/stats"), "jsonPath": "$.nope"}}}),
    );
    assert!(error_text(&measure(&providers(), &nothing, None).await).contains("matched nothing"));
    let down = metric(json!({"name": "w", "provider": {"web": {"url": common::down_url()}}}));
    assert!(error_text(&measure(&providers(), &down, None).await).contains("could not be reached"));
}

#[tokio::test]
async fn exec_passes_on_exit_zero_and_keeps_the_stderr_tail_otherwise() {
    let ok = metric(json!({"name": "e", "provider": {"exec": {"command": ["true"]}}}));
    assert_eq!(
        measure(&providers(), &ok, None).await,
        Outcome::value(ResultValue::Number(0.0))
    );
    let bad = metric(
        json!({"name": "e", "provider": {"exec": {"command": ["sh", "-c", "echo smoke test failed >&2; exit 3"]}}}),
    );
    assert_eq!(
        measure(&providers(), &bad, None).await,
        Outcome::Value {
            result: ResultValue::Number(3.0),
            unconditioned: AnalysisPhase::Failed,
            note: Some("stderr: smoke test failed".into()),
        }
    );
    let missing =
        metric(json!({"name": "e", "provider": {"exec": {"command": ["/nonexistent/check"]}}}));
    assert!(error_text(&measure(&providers(), &missing, None).await).contains("cannot run"));
}

/// Per-arm counts set by the test.
#[derive(Default)]
struct Feed(Mutex<Vec<(Arm, ArmCounts)>>);

impl Feed {
    fn set(&self, arm: Arm, requests: u64, errors: u64, fast: u64) {
        let c = ArmCounts {
            requests,
            errors,
            latency: vec![
                Bucket {
                    le: 0.1,
                    count: fast,
                },
                Bucket {
                    le: f64::INFINITY,
                    count: requests,
                },
            ],
        };
        let mut all = self.0.lock().unwrap();
        all.retain(|(a, _)| *a != arm);
        all.push((arm, c));
    }
}

impl ArmFeed for Feed {
    fn counts(&self, arm: Arm) -> ArmCounts {
        self.0
            .lock()
            .unwrap()
            .iter()
            .find(|(a, _)| *a == arm)
            .map(|(_, c)| c.clone())
            .unwrap_or_default()
    }
}

#[tokio::test(start_paused = true)]
async fn builtin_measures_one_window_between_two_readings() {
    let feed = Arc::new(Feed::default());
    feed.set(Arm::Canary, 1000, 10, 1000);
    let p = providers().with_feed(feed.clone());
    let m = metric(
        json!({"name": "b", "interval": "10s", "provider": {"builtin": {"metric": "errorRate"}}}),
    );
    let first = {
        let (p, m) = (&p, &m);
        let measuring = measure(p, m, None);
        let changing = async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            feed.set(Arm::Canary, 1100, 30, 1100);
        };
        tokio::join!(measuring, changing).0
    };
    assert_eq!(first, Outcome::value(ResultValue::Number(0.2)));
    tokio::time::sleep(Duration::from_secs(10)).await;
    feed.set(Arm::Canary, 1300, 30, 1300);
    assert_eq!(
        measure(&p, &m, None).await,
        Outcome::value(ResultValue::Number(0.0))
    );
    tokio::time::sleep(Duration::from_secs(10)).await;
    let e = error_text(&measure(&p, &m, None).await);
    assert!(e.contains("no requests to the canary arm"), "{e}");
    let without_feed = error_text(&measure(&providers(), &m, None).await);
    assert!(without_feed.contains("no per-arm feed"), "{without_feed}");
}

fn judged(o: &Outcome) -> (AnalysisPhase, Measurement) {
    match o {
        Outcome::Judged {
            phase,
            value,
            message,
        } => (
            *phase,
            Measurement {
                phase: *phase,
                value: Some(value.clone()),
                message: Some(message.clone()),
                ..Measurement::default()
            },
        ),
        other => panic!("expected a judged outcome, got {other:?}"),
    }
}

#[tokio::test]
async fn sequential_fails_a_bad_canary_and_resumes_from_the_stored_state() {
    let feed = Arc::new(Feed::default());
    feed.set(Arm::Canary, 0, 0, 0);
    feed.set(Arm::Stable, 0, 0, 0);
    let m = metric(
        json!({"name": "s", "interval": "10s", "provider": {"sequential": {"test": "errors"}}}),
    );
    let p = providers().with_feed(feed.clone());
    let (phase, mut last) = judged(&measure(&p, &m, None).await);
    assert_eq!(phase, AnalysisPhase::Running);
    let (mut canary, mut stable) = ((0, 0), (0, 0));
    for look in 0..50 {
        canary = (canary.0 + 100, canary.1 + 10);
        stable = (stable.0 + 900, stable.1 + 9);
        feed.set(Arm::Canary, canary.0, canary.1, 0);
        feed.set(Arm::Stable, stable.0, stable.1, 0);
        // A new provider each look: the state comes from the stored measurement only.
        let p = providers().with_feed(feed.clone());
        let (phase, m2) = judged(&measure(&p, &m, Some(&last)).await);
        last = m2;
        if phase == AnalysisPhase::Failed {
            assert!(look < 10, "a 10x error rate is caught within a few looks");
            assert!(last.message.unwrap().contains("Failed"));
            return;
        }
        assert_eq!(phase, AnalysisPhase::Running);
    }
    panic!("a canary failing ten times as often was never failed");
}

#[tokio::test]
async fn sequential_latency_fails_a_slow_canary() {
    let feed = Arc::new(Feed::default());
    let m = metric(
        json!({"name": "s", "interval": "10s", "provider": {"sequential": {"test": "latency"}}}),
    );
    let mut last: Option<Measurement> = None;
    let (mut canary, mut stable) = (0, 0);
    for look in 0..60 {
        // Stable: 5% slower than 0.1s; canary: 50%.
        feed.set(Arm::Canary, canary, 0, canary / 2);
        feed.set(Arm::Stable, stable, 0, stable * 95 / 100);
        let p = providers().with_feed(feed.clone());
        let (phase, m2) = judged(&measure(&p, &m, last.as_ref()).await);
        last = Some(m2);
        if phase == AnalysisPhase::Failed {
            assert!(
                look > 1,
                "the first looks only set readings and the threshold"
            );
            return;
        }
        assert_eq!(phase, AnalysisPhase::Running, "look {look}");
        canary += 100;
        stable += 1000;
    }
    panic!("a canary slow ten times as often was never failed");
}

#[tokio::test]
async fn an_unreadable_judge_state_is_an_error_not_a_fresh_start() {
    let feed = Arc::new(Feed::default());
    let p = providers().with_feed(feed);
    let m = metric(json!({"name": "s", "provider": {"sequential": {"test": "errors"}}}));
    let garbage = Measurement {
        value: Some("{not json".into()),
        ..Measurement::default()
    };
    let e = error_text(&measure(&p, &m, Some(&garbage)).await);
    assert!(e.contains("unreadable"), "{e}");
}
