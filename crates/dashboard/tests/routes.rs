//! The dashboard's routes over a fake source: who may act, what is recorded,
//! what the page and the event stream answer.

#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serin_api::Command;
use serin_dashboard::{Options, Source, SourceError, start};
use serin_view::{ArmNumbers, RolloutView};
use tower::ServiceExt;

/// A refusal recorded: rollout, command, who, why.
type Refused = (String, String, String, String);

#[derive(Clone, Default)]
struct Fake {
    given: Arc<Mutex<Vec<(String, Command, String)>>>,
    refused: Arc<Mutex<Vec<Refused>>>,
}

fn web() -> RolloutView {
    RolloutView {
        name: "web".into(),
        strategy: "canary".into(),
        phase: "Paused".into(),
        desired_revision: "v2".into(),
        stable: Some("v1".into()),
        canary: Some("v2".into()),
        canary_weight: 20,
        arms: vec![ArmNumbers {
            arm: "canary".into(),
            version: "v2".into(),
            requests_per_second: 5.0,
            error_rate: Some(0.0),
            p99_ms: Some(3.0),
        }],
        ..RolloutView::default()
    }
}

impl Source for Fake {
    async fn list(&self) -> Result<Vec<RolloutView>, SourceError> {
        Ok(vec![web()])
    }
    async fn view(&self, name: &str) -> Result<RolloutView, SourceError> {
        if name == "web" {
            Ok(web())
        } else {
            Err(SourceError::NotFound(name.into()))
        }
    }
    async fn history(&self, _: &str) -> Result<Vec<serde_json::Value>, SourceError> {
        Ok(vec![
            serde_json::json!({"seq": 1, "type": "version", "version": "v1"}),
        ])
    }
    async fn command(&self, name: &str, command: Command, by: &str) -> Result<(), SourceError> {
        self.given
            .lock()
            .unwrap()
            .push((name.into(), command, by.into()));
        Ok(())
    }
    async fn refused(
        &self,
        name: &str,
        command: &str,
        by: &str,
        reason: &str,
    ) -> Result<(), SourceError> {
        self.refused
            .lock()
            .unwrap()
            .push((name.into(), command.into(), by.into(), reason.into()));
        Ok(())
    }
}

fn options(read_only: bool) -> Options {
    Options {
        read_only,
        sample_every: Duration::from_millis(20),
        ..Options::new("s3cret")
    }
}

fn abort(token: Option<&str>) -> Request<Body> {
    let mut r = Request::post("/api/rollouts/web/commands")
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(t) = token {
        r = r.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    r.body(Body::from(r#"{"command":"abort","by":"alice"}"#))
        .unwrap()
}

async fn json(router: &axum::Router, path: &str) -> serde_json::Value {
    let resp = router
        .clone()
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "{path}");
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test]
async fn an_action_with_the_token_is_given_with_who_gave_it() {
    let fake = Fake::default();
    let (router, dashboard) = start(fake.clone(), options(false));
    let resp = router.clone().oneshot(abort(Some("s3cret"))).await.unwrap();
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    let given = fake.given.lock().unwrap().clone();
    assert_eq!(
        given,
        vec![("web".into(), Command::Abort, "alice (dashboard)".into())]
    );
    let log = json(&router, "/api/log").await;
    assert_eq!(log[0]["outcome"], "given");
    dashboard.stop();
}

#[tokio::test]
async fn an_action_without_the_right_token_is_refused_and_recorded_in_the_rollouts_history() {
    let fake = Fake::default();
    let (router, dashboard) = start(fake.clone(), options(false));
    for token in [None, Some("wrong")] {
        let resp = router.clone().oneshot(abort(token)).await.unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    }
    assert!(fake.given.lock().unwrap().is_empty());
    let log = json(&router, "/api/log").await;
    let outcomes: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, vec!["unauthorized", "unauthorized"]);
    assert_eq!(log[1]["by"], "alice (dashboard)");
    assert_eq!(log[1]["command"], "abort");
    let refused = fake.refused.lock().unwrap().clone();
    let who = (
        "web".to_owned(),
        "abort".to_owned(),
        "alice (dashboard)".to_owned(),
    );
    let reasons: Vec<&str> = refused
        .iter()
        .inspect(|r| assert_eq!((r.0.clone(), r.1.clone(), r.2.clone()), who))
        .map(|r| r.3.as_str())
        .collect();
    assert_eq!(reasons, ["no bearer token", "wrong bearer token"]);
    dashboard.stop();
}

#[tokio::test]
async fn refusals_over_the_budget_stay_in_the_dashboards_log_only() {
    let fake = Fake::default();
    let (router, dashboard) = start(fake.clone(), options(false));
    let over = serin_dashboard::REFUSALS_PER_MINUTE + 3;
    for _ in 0..over {
        let resp = router.clone().oneshot(abort(Some("wrong"))).await.unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    }
    let recorded = fake.refused.lock().unwrap().len();
    assert_eq!(recorded, serin_dashboard::REFUSALS_PER_MINUTE);
    let log = json(&router, "/api/log").await;
    let last = &log[over - 1];
    assert_eq!(last["outcome"], "unauthorized");
    assert!(
        last["error"]
            .as_str()
            .unwrap()
            .contains("not in the rollout's history"),
        "{last}"
    );
    dashboard.stop();
}

#[tokio::test]
async fn a_read_only_dashboard_refuses_every_action_even_with_the_token() {
    let fake = Fake::default();
    let (router, dashboard) = start(fake.clone(), options(true));
    let resp = router.clone().oneshot(abort(Some("s3cret"))).await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(fake.given.lock().unwrap().is_empty());
    assert_eq!(json(&router, "/api/config").await["readOnly"], true);
    assert_eq!(json(&router, "/api/log").await[0]["outcome"], "readOnly");
    let refused = fake.refused.lock().unwrap().clone();
    assert_eq!(refused[0].3, "the dashboard is read-only");
    dashboard.stop();
}

#[tokio::test]
async fn the_page_is_one_self_contained_document() {
    let (router, dashboard) = start(Fake::default(), options(false));
    let resp = router
        .oneshot(Request::get("/").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    let page = String::from_utf8(bytes.to_vec()).unwrap();
    assert!(page.contains("<script>") && page.contains("<style>"));
    assert!(!page.contains("src=\"http") && !page.contains("href=\"http"));
    dashboard.stop();
}

#[tokio::test]
async fn the_views_are_sampled_into_a_series_and_streamed_as_events() {
    let (router, dashboard) = start(Fake::default(), options(false));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let series = json(&router, "/api/rollouts/web/series").await;
        if series.as_array().unwrap().len() >= 2 {
            assert_eq!(series[0]["arms"][0]["version"], "v2");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "no samples");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let resp = router
        .clone()
        .oneshot(Request::get("/api/events").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.headers()[header::CONTENT_TYPE], "text/event-stream");
    let mut body = resp.into_body().into_data_stream();
    let first = futures::StreamExt::next(&mut body).await.unwrap().unwrap();
    let text = String::from_utf8(first.to_vec()).unwrap();
    assert!(text.starts_with("event: view\n"), "{text}");
    assert!(text.contains("\"canaryWeight\":20"), "{text}");
    dashboard.stop();
    // Stopping ends the stream, so a graceful shutdown can finish.
    let end = tokio::time::timeout(Duration::from_secs(5), async {
        while futures::StreamExt::next(&mut body).await.is_some() {}
    })
    .await;
    assert!(end.is_ok(), "the event stream did not end");
}
