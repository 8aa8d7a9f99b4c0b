//! The analysis manager carrying out the engine's actions: runs built from
//! templates and arguments, stopped, resumed from the store after a
//! restart; webhook calls reported as runs (except post-rollout).
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use common::{Receiver, Reply, eventually, reqwest_client};
use serde_json::json;
use serin_api::AnalysisPhase;
use serin_api::analysis::AnalysisTemplateSpec;
use serin_api::analysis_ref::AnalysisTemplateRef;
use serin_engine::measure::ArgSource;
use serin_engine::{Action, RunState};
use serin_metrics::webhook::WebhookOptions;
use serin_metrics::{AnalysisManager, MemoryStore, Providers, TemplateSource};

struct Templates(BTreeMap<String, AnalysisTemplateSpec>);

impl TemplateSource for Templates {
    fn template(&self, r: &AnalysisTemplateRef) -> Option<AnalysisTemplateSpec> {
        self.0.get(&r.template_name).cloned()
    }
}

fn templates() -> Arc<Templates> {
    let t = |v: serde_json::Value| serde_json::from_value::<AnalysisTemplateSpec>(v).unwrap();
    Arc::new(Templates(BTreeMap::from([
        (
            "passes".into(),
            t(json!({"args": [{"name": "rev"}],
            "metrics": [{"name": "check", "provider": {"exec": {"command": ["test", "{{args.rev}}", "=", "v2"]}}}]})),
        ),
        (
            "forever".into(),
            t(json!({
            "metrics": [{"name": "tick", "interval": "50ms", "provider": {"exec": {"command": ["true"]}}}]})),
        ),
    ])))
}

fn manager(store: Arc<MemoryStore>) -> AnalysisManager<Arc<MemoryStore>> {
    let options = WebhookOptions {
        poll_interval: Duration::from_millis(20),
        retry_backoff: Duration::from_millis(10),
    };
    AnalysisManager::new(
        Providers::new(reqwest_client()),
        reqwest_client(),
        store,
        templates(),
        options,
    )
}

fn rollout() -> ArgSource {
    ArgSource {
        name: "web".into(),
        namespace: "default".into(),
        stable_revision: Some("v1".into()),
        latest_revision: "v2".into(),
        ..ArgSource::default()
    }
}

fn start(name: &str, template: &str, args: serde_json::Value) -> Action {
    serde_json::from_value(json!({
        "action": "startAnalysis", "name": name, "kind": "step", "step": 1,
        "analysis": {"templates": [{"templateName": template}], "args": args},
    }))
    .unwrap()
}

async fn phase_becomes(
    m: &AnalysisManager<Arc<MemoryStore>>,
    name: &str,
    want: AnalysisPhase,
) -> RunState {
    eventually(20, &format!("{name} to be {want:?}"), || {
        let s = m.run_states().get(name).cloned();
        async move { s.filter(|s| s.phase == want) }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_analysis_builds_the_run_from_its_template_and_reports_the_verdict() {
    let m = manager(Arc::default());
    let args = json!([{"name": "rev", "valueFrom": {"podTemplateHashValue": "Latest"}}]);
    m.execute(&[start("v2-1-step-1", "passes", args.clone())], &rollout());
    m.execute(&[start("v2-1-step-1", "passes", args)], &rollout());
    phase_becomes(&m, "v2-1-step-1", AnalysisPhase::Successful).await;
    assert_eq!(m.run_states().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_template_or_argument_is_an_error_run_with_the_reason() {
    let m = manager(Arc::default());
    m.execute(
        &[
            start("a", "nope", json!([])),
            start("b", "passes", json!([])),
        ],
        &rollout(),
    );
    let a = phase_becomes(&m, "a", AnalysisPhase::Error).await;
    assert!(a.message.unwrap().contains("no analysis template nope"));
    let b = phase_becomes(&m, "b", AnalysisPhase::Error).await;
    assert!(b.message.unwrap().contains("argument 'rev' has no value"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_analysis_ends_a_run_with_the_verdict_so_far() {
    let m = manager(Arc::default());
    m.execute(&[start("bg", "forever", json!([]))], &rollout());
    eventually(20, "two measurements", || {
        let run = m.store().get("bg");
        async move {
            run.filter(|r| {
                r.status
                    .metric_results
                    .first()
                    .is_some_and(|x| x.count >= 2)
            })
        }
    })
    .await;
    assert_eq!(m.run_states()["bg"].phase, AnalysisPhase::Running);
    m.execute(&[Action::StopAnalysis { name: "bg".into() }], &rollout());
    let s = phase_becomes(&m, "bg", AnalysisPhase::Successful).await;
    assert!(s.message.unwrap().starts_with("terminated"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_manager_resumes_the_runs_of_the_last_one() {
    let store = Arc::new(MemoryStore::default());
    {
        let m = manager(store.clone());
        m.execute(&[start("bg", "forever", json!([]))], &rollout());
        eventually(20, "a measurement", || {
            let run = store.get("bg");
            async move {
                run.filter(|r| {
                    r.status
                        .metric_results
                        .first()
                        .is_some_and(|x| x.count >= 1)
                })
            }
        })
        .await;
    }
    let before = store.get("bg").unwrap().status.metric_results[0].count;
    let m = manager(store.clone());
    assert_eq!(m.resume().await.unwrap(), 1);
    eventually(20, "measurements to go on", || {
        let run = store.get("bg");
        async move { run.filter(|r| r.status.metric_results[0].count > before + 1) }
    })
    .await;
    assert_eq!(m.run_states()["bg"].phase, AnalysisPhase::Running);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_calls_are_reported_as_runs_except_post_rollout() {
    let (pre, pre_url) = Receiver::start(&[Reply::Status(200)]).await;
    let (post, post_url) = Receiver::start(&[Reply::Status(200)]).await;
    let (rollback, rollback_url) = Receiver::start(&[Reply::Status(404)]).await;
    let call = |name: &str, type_: &str, url: &str| -> Action {
        serde_json::from_value(json!({
            "action": "callWebhook", "name": name,
            "webhook": {"name": "h", "type": type_, "url": url},
            "payload": {"phase": type_, "revision": "v2", "stableRevision": "v1"},
        }))
        .unwrap()
    };
    let m = manager(Arc::default());
    m.execute(
        &[
            call("pre", "pre-rollout", &pre_url),
            call("post", "post-rollout", &post_url),
            call("rb", "rollback", &rollback_url),
        ],
        &rollout(),
    );
    phase_becomes(&m, "pre", AnalysisPhase::Successful).await;
    eventually(20, "post-rollout and rollback calls", || {
        let (a, b) = (post.calls(), rollback.calls());
        async move { (a == 1 && b >= 3).then_some(()) }
    })
    .await;
    assert!(!m.run_states().contains_key("post"));
    assert_eq!(pre.bodies.lock().unwrap()[0]["name"], "web");
    assert_eq!(m.run_states()["rb"].phase, AnalysisPhase::Running);
    m.execute(&[Action::StopAnalysis { name: "rb".into() }], &rollout());
    let rb = m.run_states()["rb"].clone();
    assert_eq!(rb.phase, AnalysisPhase::Inconclusive);
    let calls = rollback.calls();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        rollback.calls(),
        calls,
        "a stopped webhook is not asked again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_manager_reports_finished_webhook_calls_without_calling_again() {
    let (pre, pre_url) = Receiver::start(&[Reply::Status(200)]).await;
    let action: Action = serde_json::from_value(json!({
        "action": "callWebhook", "name": "pre",
        "webhook": {"name": "h", "type": "pre-rollout", "url": pre_url},
        "payload": {"phase": "pre-rollout", "revision": "v2", "stableRevision": "v1"},
    }))
    .unwrap();
    let store = Arc::new(MemoryStore::default());
    {
        let m = manager(store.clone());
        m.execute(std::slice::from_ref(&action), &rollout());
        eventually(20, "the call's outcome to be saved", || {
            let run = store.get("pre");
            async move { run.filter(|r| r.status.phase == AnalysisPhase::Successful) }
        })
        .await;
    }
    let m = manager(store.clone());
    m.resume().await.unwrap();
    m.execute(&[action], &rollout());
    phase_becomes(&m, "pre", AnalysisPhase::Successful).await;
    assert_eq!(pre.calls(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finished_run_is_stamped_with_its_completion_and_deleted_on_request() {
    let store = Arc::new(MemoryStore::default());
    let m = manager(store.clone());
    let args = json!([{"name": "rev", "valueFrom": {"podTemplateHashValue": "Latest"}}]);
    m.execute(&[start("v2-1-step-1", "passes", args)], &rollout());
    m.execute(&[start("v2-1-step-2", "forever", json!([]))], &rollout());
    let done = phase_becomes(&m, "v2-1-step-1", AnalysisPhase::Successful).await;
    assert!(done.completed_at.is_some(), "{done:?}");
    assert!(
        store
            .get("v2-1-step-1")
            .unwrap()
            .status
            .completed_at
            .is_some()
    );

    // A finished run goes from the store and the manager; a running one stays.
    m.delete(&["v2-1-step-1".to_owned(), "v2-1-step-2".to_owned()])
        .await
        .unwrap();
    assert!(store.get("v2-1-step-1").is_none());
    let states = m.run_states();
    assert!(!states.contains_key("v2-1-step-1"), "{states:?}");
    assert!(states.contains_key("v2-1-step-2"), "{states:?}");
    assert!(store.get("v2-1-step-2").is_some());
}
