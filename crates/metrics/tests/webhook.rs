//! Each webhook type against a real local receiver that counts calls and
//! answers as the test says: 500 then 200, slower than the timeout, down.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Receiver, Reply, down_url, eventually, reqwest_client};
use serde_json::json;
use serin_api::AnalysisPhase;
use serin_api::webhook::{Webhook, WebhookPayload, WebhookType};
use serin_engine::RunState;
use serin_metrics::webhook::{self, WebhookOptions};

const FAST: WebhookOptions = WebhookOptions {
    poll_interval: Duration::from_millis(20),
    retry_backoff: Duration::from_millis(10),
};

fn hook(type_: WebhookType, url: &str, extra: serde_json::Value) -> Webhook {
    let mut v = json!({"name": "check", "type": type_.as_str(), "url": url});
    for (k, x) in extra.as_object().unwrap() {
        v[k] = x.clone();
    }
    serde_json::from_value(v).unwrap()
}

fn payload(type_: WebhookType) -> WebhookPayload {
    WebhookPayload {
        name: "web".into(),
        namespace: "default".into(),
        phase: type_.as_str().into(),
        revision: "v2".into(),
        stable_revision: "v1".into(),
        step: Some(1),
        metadata: [("team".to_string(), "pay".to_string())].into(),
    }
}

async fn call(h: &Webhook) -> (RunState, Vec<RunState>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    let out = webhook::call(&reqwest_client(), h, &payload(h.type_), FAST, move |s| {
        seen2.lock().unwrap().push(s);
    })
    .await;
    let seen = seen.lock().unwrap().clone();
    (out, seen)
}

#[tokio::test]
async fn pre_rollout_retries_a_500_and_passes_on_the_200() {
    let (rx, url) = Receiver::start(&[Reply::Status(500), Reply::Status(200)]).await;
    let (out, seen) = call(&hook(WebhookType::PreRollout, &url, json!({}))).await;
    assert_eq!(out.phase, AnalysisPhase::Successful);
    assert_eq!(rx.calls(), 2);
    assert!(
        seen.iter()
            .any(|s| s.message.as_deref().unwrap().contains("HTTP 500"))
    );
    let body = rx.bodies.lock().unwrap()[0].clone();
    assert_eq!(
        body,
        json!({"name": "web", "namespace": "default", "phase": "pre-rollout", "revision": "v2",
               "stableRevision": "v1", "step": 1, "metadata": {"team": "pay"}})
    );
}

#[tokio::test]
async fn rollout_fails_after_its_retries_with_the_status_code() {
    let (rx, url) = Receiver::start(&[Reply::Status(500)]).await;
    let (out, _) = call(&hook(WebhookType::Rollout, &url, json!({"retries": 1}))).await;
    assert_eq!(out.phase, AnalysisPhase::Failed);
    assert_eq!(rx.calls(), 2);
    let m = out.message.unwrap();
    assert!(
        m.contains("HTTP 500") && m.contains("after 2 attempts"),
        "{m}"
    );
}

#[tokio::test]
async fn the_default_is_two_retries() {
    let (rx, url) = Receiver::start(&[Reply::Status(503)]).await;
    let (out, _) = call(&hook(WebhookType::PreRollout, &url, json!({}))).await;
    assert_eq!(out.phase, AnalysisPhase::Failed);
    assert_eq!(rx.calls(), 3);
}

#[tokio::test]
async fn a_webhook_slower_than_its_timeout_fails() {
    let (rx, url) = Receiver::start(&[Reply::Slow(Duration::from_secs(5))]).await;
    let (out, _) = call(&hook(
        WebhookType::PreRollout,
        &url,
        json!({"timeout": "200ms", "retries": 0}),
    ))
    .await;
    assert_eq!(out.phase, AnalysisPhase::Failed);
    assert_eq!(rx.calls(), 1);
    assert!(out.message.unwrap().contains("timed out"));
}

#[tokio::test]
async fn a_webhook_that_is_down_fails_with_the_network_error() {
    let (out, _) = call(&hook(
        WebhookType::PostRollout,
        &down_url(),
        json!({"retries": 1}),
    ))
    .await;
    assert_eq!(out.phase, AnalysisPhase::Failed);
    assert!(out.message.unwrap().contains("could not be reached"));
}

#[tokio::test]
async fn confirm_promotion_asks_again_until_a_2xx() {
    let (rx, url) = Receiver::start(&[
        Reply::Status(503),
        Reply::Status(503),
        Reply::Status(503),
        Reply::Status(204),
    ])
    .await;
    let (out, seen) = call(&hook(
        WebhookType::ConfirmPromotion,
        &url,
        json!({"retries": 0}),
    ))
    .await;
    assert_eq!(out.phase, AnalysisPhase::Successful);
    assert_eq!(rx.calls(), 4);
    assert!(seen.iter().all(|s| s.phase != AnalysisPhase::Failed));
}

#[tokio::test]
async fn rollback_keeps_asking_while_down_or_refusing_and_never_fails() {
    for url in [Receiver::start(&[Reply::Status(500)]).await.1, down_url()] {
        let h = hook(WebhookType::Rollback, &url, json!({"timeout": "200ms"}));
        let seen = Arc::new(Mutex::new(Vec::<RunState>::new()));
        let seen2 = seen.clone();
        let task = tokio::spawn(async move {
            webhook::call(&reqwest_client(), &h, &payload(h.type_), FAST, move |s| {
                seen2.lock().unwrap().push(s);
            })
            .await
        });
        eventually(10, "five questions", || {
            let seen = seen.clone();
            async move { (seen.lock().unwrap().len() > 5).then_some(()) }
        })
        .await;
        assert!(!task.is_finished());
        task.abort();
        let seen = seen.lock().unwrap();
        assert!(
            seen.iter().all(|s| s.phase == AnalysisPhase::Running),
            "{seen:?}"
        );
    }
}
