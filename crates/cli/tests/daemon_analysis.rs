//! `serin up` with analysis, end to end: the sequential judge aborting a
//! canary that fails more often than stable (errors injected into the
//! canary's replica), and blue-green with a pre-promotion analysis over the
//! preview listener and automatic promotion, and the run history limits
//! deleting the stored runs of past releases, before and after a restart.
//! Real processes, real HTTP.

#![allow(clippy::unwrap_used)]

mod daemon_support;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use daemon_support::status::{healthy_on, phase};
use serin_metrics::RunStore;

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

/// A step analysis that passes for every version but those named `bad-*`
/// (one `exec` measurement, no interval: a verdict within milliseconds).
const VERSION_CHECK: &str = r#"---
apiVersion: serin.dev/v1alpha1
kind: AnalysisTemplate
metadata:
  name: version-check
spec:
  args:
    - name: version
  metrics:
    - name: version
      provider:
        exec:
          command: [sh, -c, 'case "{{args.version}}" in bad-*) exit 1;; esac']
"#;

/// A canary whose only gate is [`VERSION_CHECK`], keeping one finished run
/// of each kind from past releases. The `analysis:` line, indented by 2,
/// is `spec.analysis` (after `spec.strategy`).
fn one_run_of_each_kind(marker: &str, listen: u16) -> String {
    rollout_yaml(
        marker,
        listen,
        "",
        "    canary:
      abortScaleDownDelaySeconds: 1
      steps:
        - setWeight: 50
        - analysis:
            templates: [{templateName: version-check}]
            args: [{name: version, valueFrom: {podTemplateHashValue: Latest}}]
  analysis: {successfulRunHistoryLimit: 1, unsuccessfulRunHistoryLimit: 1}",
        VERSION_CHECK,
    )
}

/// The verdicts in the history, oldest first: (run, phase).
fn verdicts(d: &Daemon) -> Vec<(String, String)> {
    let history: Vec<serde_json::Value> =
        serde_json::from_str(&d.ok(&["history", "web", "--json"])).unwrap();
    history
        .iter()
        .filter(|e| e["type"] == "verdict")
        .map(|e| {
            (
                e["run"].as_str().unwrap().to_owned(),
                e["phase"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Releases `version` and waits for its end: promoted when its analysis
/// passes, aborted when it fails (a `bad-*` version). Returns its run.
fn release(d: &Daemon, version: &str) -> String {
    let before = verdicts(d).len();
    d.ok(&["set", "version", "web", version]);
    let bad = version.starts_with("bad-");
    d.wait_view(&format!("the release of {version} to end"), |v| {
        if bad {
            phase(v) == "Aborted"
        } else {
            phase(v) == "Healthy" && v["stable"] == version && v["trafficVerified"] == true
        }
    });
    let all = verdicts(d);
    assert_eq!(all.len(), before + 1, "one verdict for {version}: {all:?}");
    let (run, verdict) = all.last().unwrap().clone();
    let expected = if bad { "Failed" } else { "Successful" };
    assert_eq!(verdict, expected, "{version}'s run {run}");
    run
}

/// The names of the runs in the daemon's store (read with the daemon
/// stopped: the store is one file a single process opens).
fn stored_runs(d: &Daemon) -> BTreeSet<String> {
    let store = serin_local::store::Store::open(&d.state()).unwrap();
    let runs = futures::executor::block_on(store.runs("web").load_all()).unwrap();
    runs.into_keys().collect()
}

#[test]
fn given_run_history_limits_of_one_when_releases_follow_each_other_then_only_the_newest_finished_run_of_each_kind_of_past_releases_is_kept_across_a_restart()
 {
    let mut d = Daemon::start(one_run_of_each_kind);
    d.wait_view("v1 healthy", healthy_on("v1"));

    let s2 = release(&d, "v2");
    let f3 = release(&d, "bad-3");
    let s4 = release(&d, "v4");
    let f5 = release(&d, "bad-5");
    assert!(d.terminate().success());

    // Past: s2, f3, s4. s4 finished after s2, so s2 goes; f3 is the only
    // failure; f5 is the current release's.
    assert_eq!(
        stored_runs(&d),
        BTreeSet::from([f3.clone(), s4.clone(), f5.clone()]),
        "{s2} deleted"
    );

    d.spawn();
    let v = d.wait_view("bad-5 still aborted", |v| phase(v) == "Aborted");
    let current = &v["analysis"][0];
    assert_eq!(current["name"], f5.as_str(), "{v:#}");
    assert!(
        !current["metrics"].as_array().unwrap().is_empty(),
        "the current release's run is read from the store: {v:#}"
    );

    let s6 = release(&d, "v6");
    assert!(d.terminate().success());

    // Past: s4 and f5, the newest of each kind; f3, now one failure too
    // many, is deleted by the restarted daemon from the runs it resumed.
    assert_eq!(
        stored_runs(&d),
        BTreeSet::from([s4, f5, s6]),
        "{f3} deleted"
    );
}
