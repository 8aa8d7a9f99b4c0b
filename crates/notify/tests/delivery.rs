//! Delivery to real receivers on 127.0.0.1: the webhook's JSON for each
//! event kind, Slack's text from a template, the event filter and headers,
//! retries with backoff, and answers that are final.

#![allow(clippy::unwrap_used)]

mod support;

use serde_json::json;
use serin_engine::EventReason;
use support::{answering, event, notifier, one_sink, wait_stats};

#[tokio::test]
async fn the_webhook_receives_the_documented_json_for_each_event_kind() {
    let rx = answering(200, 0).await;
    let n = one_sink("webhook", &rx.url, "");
    let kinds = [
        (EventReason::RolloutStarted, "releasing v2", "normal"),
        (EventReason::StepCompleted, "step 1/4 done", "normal"),
        (EventReason::RolloutPaused, "paused at step 2/4", "normal"),
        (EventReason::RolloutAborted, "analysis failed", "warning"),
        (EventReason::RolloutPromoted, "v2 is stable", "normal"),
        (EventReason::AnalysisFailed, "errors over 1%", "warning"),
    ];
    for (reason, message, _) in kinds {
        n.notify(event(reason, message));
    }
    let bodies = rx.wait_for(kinds.len()).await;
    for ((reason, message, severity), body) in kinds.iter().zip(&bodies) {
        let name = format!("{reason:?}");
        assert_eq!(
            body,
            &json!({
                "event": name,
                "severity": severity,
                "rollout": "web",
                "namespace": "default",
                "revision": "v2",
                "step": 1,
                "weight": 20,
                "message": message,
                "time": "2026-11-22T01:00:00Z",
                "text": format!("[default/web] {name}: {message}"),
            })
        );
    }
    assert_eq!(rx.headers(0)["content-type"], "application/json");
}

#[tokio::test]
async fn absent_values_are_null_in_the_webhook_body() {
    let rx = answering(200, 0).await;
    let n = one_sink("webhook", &rx.url, "");
    let e = serin_notify::Event::new(
        EventReason::CommandIgnored,
        "web",
        "prod",
        "nothing to retry",
        support::at(),
    );
    n.notify(e);
    let body = &rx.wait_for(1).await[0];
    assert_eq!(body["revision"], json!(null));
    assert_eq!(body["step"], json!(null));
    assert_eq!(body["weight"], json!(null));
    assert_eq!(body["severity"], "warning");
}

#[tokio::test]
async fn the_slack_sink_receives_the_text_of_its_template() {
    let rx = answering(200, 0).await;
    let n = notifier(&format!(
        "notifications:
  sinks:
    - name: team
      type: slack
      url: '{}'
      template: ':rocket: {{rollout}} {{revision}} at step {{step}} ({{weight}}%): {{event}} — {{message}}'
",
        rx.url
    ));
    n.notify(event(EventReason::StepCompleted, "step 2/4 done"));
    let body = &rx.wait_for(1).await[0];
    assert_eq!(
        body,
        &json!({"text": ":rocket: web v2 at step 1 (20%): StepCompleted — step 2/4 done"})
    );
}

#[tokio::test]
async fn a_slack_sink_with_blocks_sends_a_section_and_a_context_line() {
    let rx = answering(200, 0).await;
    let n = notifier(&format!(
        "notifications:
  sinks:
    - {{name: team, type: slack, url: '{}', blocks: true, template: '{{rollout}} aborted: {{message}}'}}
",
        rx.url
    ));
    n.notify(event(EventReason::RolloutAborted, "errors"));
    let body = &rx.wait_for(1).await[0];
    assert_eq!(body["text"], "web aborted: errors");
    assert_eq!(
        body["blocks"],
        json!([
            {"type": "section", "text": {"type": "mrkdwn", "text": "web aborted: errors"}},
            {"type": "context", "elements": [{"type": "mrkdwn",
                "text": "*default/web* · revision `v2` · step 1 · weight 20% · RolloutAborted"}]},
        ])
    );
}

#[tokio::test]
async fn a_sink_gets_only_the_events_of_its_filter_with_its_headers() {
    let rx = answering(200, 0).await;
    let n = notifier(&format!(
        "notifications:
  sinks:
    - name: failures
      type: webhook
      url: '{}'
      events: [RolloutAborted, AnalysisFailed]
      headers: {{Authorization: Bearer s3cret, X-Team: payments}}
",
        rx.url
    ));
    n.notify(event(EventReason::RolloutStarted, "releasing v2"));
    n.notify(event(EventReason::AnalysisFailed, "errors over 1%"));
    n.notify(event(EventReason::StepCompleted, "step 1/4 done"));
    n.notify(event(EventReason::RolloutAborted, "aborted"));
    n.notify(event(EventReason::RolloutPromoted, "stable"));
    wait_stats(&n, "three events handled", |s| s[0].delivered == 2).await;
    let events: Vec<_> = rx.bodies().iter().map(|b| b["event"].clone()).collect();
    assert_eq!(events, [json!("AnalysisFailed"), json!("RolloutAborted")]);
    assert_eq!(rx.headers(0)["authorization"], "Bearer s3cret");
    assert_eq!(rx.headers(1)["x-team"], "payments");
}

#[tokio::test]
async fn a_receiver_failing_twice_then_succeeding_gets_the_event_on_the_third_attempt() {
    let rx = answering(200, 2).await;
    let n = one_sink("webhook", &rx.url, ", attempts: 3, backoff: 20ms");
    let start = std::time::Instant::now();
    n.notify(event(EventReason::RolloutPromoted, "v2 is stable"));
    wait_stats(&n, "the delivery", |s| s[0].delivered == 1).await;
    // Two waits: 20ms, then 40ms.
    assert!(start.elapsed() >= std::time::Duration::from_millis(60));
    let bodies = rx.bodies();
    assert_eq!(bodies.len(), 3);
    assert!(bodies.iter().all(|b| b == &bodies[0]));
    let s = &n.stats()[0];
    assert_eq!((s.delivered, s.retried, s.failed), (1, 2, 0));
}

#[tokio::test]
async fn attempts_are_bounded_and_the_event_is_then_given_up() {
    let rx = answering(200, 10).await;
    let n = one_sink("webhook", &rx.url, ", attempts: 2, backoff: 1ms");
    n.notify(event(EventReason::RolloutAborted, "aborted"));
    wait_stats(&n, "giving up", |s| s[0].failed == 1).await;
    assert_eq!(rx.bodies().len(), 2);
}

#[tokio::test]
async fn a_client_error_is_final_and_not_tried_again() {
    let rx = answering(404, 0).await;
    let n = one_sink("slack", &rx.url, ", attempts: 5, backoff: 1ms");
    n.notify(event(EventReason::RolloutAborted, "aborted"));
    wait_stats(&n, "giving up", |s| s[0].failed == 1).await;
    assert_eq!(rx.bodies().len(), 1);
}
