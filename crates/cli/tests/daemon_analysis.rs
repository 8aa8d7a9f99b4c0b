//! `serin up` with analysis, end to end: the sequential judge aborting a
//! canary that fails more often than stable (errors injected into the
//! canary's replica), and blue-green with a pre-promotion analysis over the
//! preview listener and automatic promotion. Real processes, real HTTP.

#![allow(clippy::unwrap_used)]

mod daemon_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use daemon_support::status::{healthy_on, phase};
use daemon_support::{Daemon, free_port, http, load, replica_port, rollout_yaml};

const SEQUENTIAL: &str = r#"---
apiVersion: serin.dev/v1alpha1
kind: AnalysisTemplate
metadata:
  name: errors
spec:
  metrics:
    - name: errors
      interval: 500ms
      provider:
        sequential:
          test: errors
          alpha: 0.05
          minEffect: 2.0
"#;

#[test]
fn given_a_canary_failing_more_than_stable_when_judged_sequentially_then_it_is_aborted_and_traffic_returns_to_stable()
 {
    let d = Daemon::start(|m, port| {
        rollout_yaml(
            m,
            port,
            "",
            "    canary:\n      abortScaleDownDelaySeconds: 1\n      steps: [{setWeight: 50}, {analysis: {templates: [{templateName: errors}]}}, {pause: {}}]",
            SEQUENTIAL,
        )
    });
    d.wait_view("v1 healthy", healthy_on("v1"));
    d.ok(&["set", "version", "web", "v2"]);
    let canary = replica_port(&d, "v2");
    let (status, body) = http(
        ([127, 0, 0, 1], canary).into(),
        "PUT",
        "/fault",
        None,
        Some(r#"{"errorRate":0.5}"#),
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");
    let stop = Arc::new(AtomicBool::new(false));
    let traffic = load(d.listen, stop.clone());

    let v = d.wait_view("the abort", |v| phase(v) == "Aborted");
    stop.store(true, Ordering::SeqCst);
    traffic.join().unwrap();

    let verdicts: Vec<&str> = v["analysis"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["phase"].as_str().unwrap())
        .collect();
    assert!(verdicts.contains(&"Failed"), "{v:#}");
    d.wait_view("all traffic on stable", |v| {
        v["canaryWeight"] == 0 && v["trafficVerified"] == true
    });
    assert!(d.versions(20).iter().all(|v| v == "v1"));
    let history = d.ok(&["history", "web"]);
    assert!(history.contains("AnalysisFailed"), "{history}");
    assert!(
        history.contains("(Step) Failed: "),
        "the verdict with its message: {history}"
    );
}

#[test]
fn given_blue_green_with_pre_promotion_analysis_when_v2_is_set_then_the_preview_is_checked_and_promoted_automatically()
 {
    let preview = free_port();
    let template = format!(
        r#"---
apiVersion: serin.dev/v1alpha1
kind: AnalysisTemplate
metadata:
  name: preview-serves-new
spec:
  metrics:
    - name: version
      interval: 200ms
      count: 2
      successCondition: result == "v2"
      provider:
        web:
          url: http://127.0.0.1:{preview}/version
          jsonPath: "$.version"
"#
    );
    let d = Daemon::start(|m, port| {
        rollout_yaml(
            m,
            port,
            &format!("    previewListen: 127.0.0.1:{preview}\n"),
            "    blueGreen:\n      autoPromotionSeconds: 1\n      scaleDownDelaySeconds: 1\n      prePromotionAnalysis: {templates: [{templateName: preview-serves-new}]}",
            &template,
        )
    });
    d.wait_view("v1 healthy", healthy_on("v1"));

    d.ok(&["set", "version", "web", "v2"]);

    daemon_support::wait_for("the preview to serve v2", || {
        http(
            ([127, 0, 0, 1], preview).into(),
            "GET",
            "/version",
            None,
            None,
        )
        .filter(|(s, b)| *s == 200 && b.contains("v2"))
    });
    let v = d.wait_view("v2 promoted", healthy_on("v2"));
    assert!(
        v["analysis"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["kind"] == "prePromotion" && a["phase"] == "Successful"),
        "{v:#}"
    );
    assert!(d.versions(10).iter().all(|v| v == "v2"));
}
