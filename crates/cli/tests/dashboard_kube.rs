//! `serin dashboard` on Kubernetes: the real binary against the in-process
//! fake API server with a Rollout loaded mid-flight (status included). Its
//! JSON shows the Rollout as `serin status` does; an action with the token
//! lands in the Rollout's command-queue annotation as given by
//! `<name> (dashboard)`; without the token it is refused, nothing is
//! queued and the refusal is a Warning Event in the Rollout's history; a
//! run of the status is shown with its AnalysisRun's measurements and the
//! sequential judge's evidence; the controller's Events about the Rollout
//! (and only this Rollout's) are in the history by time.

mod dashboard_kube_support;
mod kube_support;

use dashboard_kube_support::{Served, TOKEN};
use kube_support::Cluster;
use serde_json::{Value, json};
use serin_api::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_json_shows_a_rollout_mid_flight_as_serin_status_does() {
    let cluster = Cluster::with("checkout-paused.yaml").await;
    let served = Served::start(&cluster, &["-n", "default"]).await;

    let list = served.get("/api/rollouts").await;
    let view = served.get("/api/rollouts/checkout").await;
    let status = cluster.serin(&["status", "checkout", "-o", "json"]).await;

    let names: Vec<&Value> = list
        .as_array()
        .expect("a list")
        .iter()
        .map(|v| &v["name"])
        .collect();
    assert_eq!(names, [&json!("checkout")]);
    assert_eq!(
        (&view["phase"], &view["canaryWeight"], &view["stepDisplay"]),
        (&json!("Paused"), &json!(20), &json!("1/4"))
    );
    let from_status: Value = serde_json::from_str(status.ok()).expect("a view");
    assert_eq!(view, from_status);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_history_shows_the_recorded_revisions() {
    let cluster = Cluster::with("checkout-paused.yaml").await;
    let served = Served::start(&cluster, &["-n", "default"]).await;

    let history = served.get("/api/rollouts/checkout/history").await;

    let revisions: Vec<(&Value, &Value)> = history
        .as_array()
        .expect("a list")
        .iter()
        .filter(|e| e["type"] == "revision")
        .map(|e| (&e["number"], &e["revision"]))
        .collect();
    assert_eq!(
        revisions,
        [(&json!(1), &json!("6b7f9c")), (&json!(2), &json!("5d4e8a"))]
    );
}

/// An Event as the controller's `Recorder` writes it, about the Rollout
/// `checkout` with the uid `uid`.
fn controller_event(name: &str, uid: &Value, reason: &str, at: &str) -> Value {
    json!({
        "apiVersion": "events.k8s.io/v1", "kind": "Event",
        "metadata": {"name": name},
        "eventTime": at,
        "action": "Abort",
        "reason": reason,
        "note": "analysis run checkout-5d4e8a-1-step-2 failed",
        "type": "Warning",
        "reportingController": "serin.dev/controller",
        "reportingInstance": "test",
        "regarding": {"apiVersion": "serin.dev/v1alpha1", "kind": "Rollout",
            "namespace": "default", "name": "checkout", "uid": uid},
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_controllers_events_about_this_rollout_are_in_the_history() {
    let cluster = Cluster::with("checkout-paused.yaml").await;
    let uid = cluster.rollout("default", "checkout")["metadata"]["uid"].clone();
    let at = "2026-11-22T03:00:00.000000Z";
    for event in [
        controller_event("checkout.aborted", &uid, "RolloutAborted", at),
        controller_event("checkout.old", &json!("an-earlier-rollout"), "Stale", at),
    ] {
        cluster
            .fake
            .create(Some("default"), event)
            .expect("an event");
    }
    let served = Served::start(&cluster, &["-n", "default"]).await;

    let history = served.get("/api/rollouts/checkout/history").await;

    let events: Vec<(&Value, &Value, &Value)> = history
        .as_array()
        .expect("a list")
        .iter()
        .filter(|e| e["type"] == "event")
        .map(|e| (&e["reason"], &e["eventType"], &e["message"]))
        .collect();
    assert_eq!(
        events,
        [(
            &json!("RolloutAborted"),
            &json!("Warning"),
            &json!("analysis run checkout-5d4e8a-1-step-2 failed")
        )]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_action_with_the_token_is_queued_on_the_rollout_as_given_through_the_dashboard() {
    let cluster = Cluster::with("checkout-paused.yaml").await;
    let served = Served::start(&cluster, &["-n", "default"]).await;

    let status = served
        .act(
            "checkout",
            json!({"command": "promote", "by": "alice"}),
            Some(TOKEN),
        )
        .await;

    assert_eq!(status, 202);
    let queue = cluster.queue("default", "checkout");
    assert_eq!(queue.len(), 1, "{queue:?}");
    assert_eq!(
        (queue[0].id, &queue[0].command, queue[0].by.as_str()),
        (8, &Command::Promote, "alice (dashboard)")
    );
    let history = served.get("/api/rollouts/checkout/history").await;
    let pending: Vec<&Value> = history
        .as_array()
        .expect("a list")
        .iter()
        .filter(|e| e["type"] == "command")
        .collect();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0]["by"], "alice (dashboard)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_action_without_the_token_or_with_a_wrong_one_is_refused_and_nothing_is_queued() {
    let cluster = Cluster::with("checkout-paused.yaml").await;
    let served = Served::start(&cluster, &["-n", "default"]).await;
    let abort = json!({"command": "abort", "by": "mallory"});

    let without = served.act("checkout", abort.clone(), None).await;
    let wrong = served.act("checkout", abort, Some("not-the-token")).await;

    assert_eq!((without, wrong), (401, 401));
    assert!(cluster.queue("default", "checkout").is_empty());
    let log = served.get("/api/log").await;
    let outcomes: Vec<&Value> = log
        .as_array()
        .expect("a list")
        .iter()
        .map(|e| &e["outcome"])
        .collect();
    assert_eq!(outcomes, [&json!("unauthorized"), &json!("unauthorized")]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_action_is_a_warning_event_on_the_rollout_and_in_its_history_and_serin_history() {
    let cluster = Cluster::with("checkout-paused.yaml").await;
    let served = Served::start(&cluster, &["-n", "default"]).await;

    let status = served
        .act(
            "checkout",
            json!({"command": "abort", "by": "mallory"}),
            Some("not-the-token"),
        )
        .await;

    assert_eq!(status, 401);
    let events = cluster.fake.objects("events.k8s.io/v1", "Event");
    let refused: Vec<(&Value, &Value, &Value)> = events
        .iter()
        .filter(|e| e["reason"] == "ActionRefused")
        .map(|e| (&e["type"], &e["regarding"]["name"], &e["note"]))
        .collect();
    assert_eq!(
        refused,
        [(
            &json!("Warning"),
            &json!("checkout"),
            &json!("abort by mallory (dashboard) refused: wrong bearer token")
        )]
    );
    let history = served.get("/api/rollouts/checkout/history").await;
    let entry = history
        .as_array()
        .expect("a list")
        .iter()
        .find(|e| e["type"] == "refused")
        .expect("the refusal in the history");
    assert_eq!(
        (&entry["command"], &entry["by"], &entry["reason"]),
        (
            &json!("abort"),
            &json!("mallory (dashboard)"),
            &json!("wrong bearer token")
        )
    );
    assert!(cluster.queue("default", "checkout").is_empty());
    let printed = cluster.serin(&["history", "checkout"]).await;
    let line = printed
        .ok()
        .lines()
        .find(|l| l.starts_with("refused abort by mallory (dashboard) at "))
        .unwrap_or_else(|| panic!("serin history shows the refusal: {}", printed.ok()));
    assert!(line.ends_with(": wrong bearer token"), "{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_is_shown_with_its_measurements_and_the_judges_evidence_as_serin_status_does() {
    let cluster = Cluster::with("checkout-analysis.yaml").await;
    let served = Served::start(&cluster, &["-n", "default"]).await;

    let view = served.get("/api/rollouts/checkout").await;
    let json_status = cluster.serin(&["status", "checkout", "-o", "json"]).await;
    let text_status = cluster.serin(&["status", "checkout"]).await;

    let metrics = view["analysis"][0]["metrics"].as_array().expect("metrics");
    let rate = &metrics[0];
    assert_eq!(
        (&rate["name"], &rate["provider"]),
        (&json!("error-rate"), &json!("prometheus"))
    );
    let values: Vec<&Value> = rate["measurements"]
        .as_array()
        .expect("measurements")
        .iter()
        .map(|m| &m["value"])
        .collect();
    assert_eq!(values, [&json!("[0.012]"), &json!("[0.009]")]);
    let judge = &metrics[1]["judge"];
    let looks: Vec<&Value> = judge["evidence"]
        .as_array()
        .expect("evidence")
        .iter()
        .map(|p| &p["canary"]["requests"])
        .collect();
    assert_eq!(looks, [&json!(400), &json!(800)]);
    let fail_at = judge["failAt"].as_f64().expect("a boundary");
    assert!((fail_at - 100f64.ln()).abs() < 1e-9, "{judge}");
    let from_status: Value = serde_json::from_str(json_status.ok()).expect("a view");
    assert_eq!(view, from_status);
    let text = text_status.ok();
    assert!(
        text.contains("errors (sequential) Running: canary 3/800 errors"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_all_namespaces_each_rollout_is_named_with_its_namespace_and_can_be_acted_on() {
    let cluster = Cluster::with("rollouts.yaml").await;
    let served = Served::start(&cluster, &["-A"]).await;

    let list = served.get("/api/rollouts").await;
    let status = served
        .act(
            "shop%2Fcart",
            json!({"command": "pause", "by": "alice"}),
            Some(TOKEN),
        )
        .await;

    let mut names: Vec<&str> = list
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|v| v["name"].as_str())
        .collect();
    names.sort_unstable();
    assert!(names.contains(&"shop/cart"), "{names:?}");
    assert!(names.iter().all(|n| n.contains('/')), "{names:?}");
    assert_eq!(status, 202);
    let queue = cluster.queue("shop", "cart");
    assert_eq!(
        (&queue[0].command, queue[0].by.as_str()),
        (&Command::Pause, "alice (dashboard)")
    );
}
