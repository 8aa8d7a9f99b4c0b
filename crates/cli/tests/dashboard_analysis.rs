//! The analysis on the dashboard, end to end: a real `serin up` whose
//! canary step is judged sequentially while its replica fails half its
//! requests, and the page in a real headless Chromium showing each metric's
//! measurements and the judge's evidence crossing its fail boundary; `serin
//! status` prints the same. Screenshot: `target/dashboard-screenshots/6-analysis-evidence.png`.

#![allow(clippy::unwrap_used)]

mod daemon_support;
mod dashboard_support;

use daemon_support::status::{healthy_on, phase};
use daemon_support::{Daemon, http, replica_port, rollout_yaml};
use dashboard_support::Browser;
use dashboard_support::load::Load;
use serde_json::Value;

const TEMPLATE: &str = r#"---
apiVersion: serin.dev/v1alpha1
kind: AnalysisTemplate
metadata:
  name: errors
spec:
  metrics:
    - name: request-rate
      interval: 500ms
      provider:
        builtin: {metric: requestRate, window: 5s}
    - name: errors
      interval: 500ms
      provider:
        sequential:
          test: errors
          alpha: 0.05
          minEffect: 2.0
"#;

/// The run's metrics in a view, by name.
fn metric<'a>(view: &'a Value, name: &str) -> &'a Value {
    view["analysis"][0]["metrics"]
        .as_array()
        .and_then(|ms| ms.iter().find(|m| m["name"] == name))
        .unwrap_or_else(|| panic!("no metric {name} in {view:#}"))
}

#[test]
fn the_page_shows_the_measurements_and_the_judges_evidence_crossing_its_boundary() {
    let d = Daemon::start(|m, port| {
        rollout_yaml(
            m,
            port,
            "",
            "    canary:\n      abortScaleDownDelaySeconds: 1\n      steps: [{setWeight: 50}, {analysis: {templates: [{templateName: errors}]}}, {pause: {}}]",
            TEMPLATE,
        )
    });
    d.wait_view("v1 healthy", healthy_on("v1"));
    let browser = dashboard_support::available().then(|| {
        let b = Browser::start();
        b.open(&format!("http://{}/dashboard/", d.admin()));
        b.wait_until(
            "the rollout",
            "return document.getElementById('name').textContent === 'web';",
        );
        b
    });

    // When v2 fails a quarter of its requests under load, the judge aborts it.
    d.ok(&["set", "version", "web", "v2"]);
    let canary = replica_port(&d, "v2");
    let fault = Some(r#"{"errorRate":0.25}"#);
    let (status, body) = http(
        ([127, 0, 0, 1], canary).into(),
        "PUT",
        "/fault",
        None,
        fault,
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");
    let traffic = Load::start(d.listen);
    let v = d.wait_view("the abort", |v| phase(v) == "Aborted");
    drop(traffic);

    // Then the view holds each metric's measurements and the evidence.
    let errors = metric(&v, "errors");
    assert_eq!(errors["phase"], "Failed", "{v:#}");
    let judge = &errors["judge"];
    assert!(judge.is_object(), "{errors:#}");
    let points = judge["evidence"].as_array().unwrap();
    let fail_at = judge["failAt"].as_f64().unwrap();
    assert!((fail_at - 20f64.ln()).abs() < 1e-9, "alpha 0.05: {judge}");
    let last = points.last().unwrap();
    assert!(last["degradation"].as_f64().unwrap() >= fail_at, "{judge}");
    assert_eq!(last["verdict"], "Failed");
    assert_eq!(
        points.len(),
        errors["measurements"].as_array().unwrap().len(),
        "one point per measurement kept"
    );
    let rate = metric(&v, "request-rate");
    let values: Vec<f64> = rate["measurements"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["value"].as_str()?.parse().ok())
        .collect();
    assert!(values.iter().any(|r| *r > 0.0), "{rate}");

    // And `serin status` prints them under the run.
    let text = d.ok(&["status", "web"]);
    assert!(
        text.contains("errors (sequential) Failed: canary "),
        "{text}"
    );
    assert!(text.contains("request-rate (builtin)"), "{text}");

    // And the page draws them.
    let Some(browser) = browser else {
        eprintln!(
            "page not checked: no /usr/bin/chromedriver (scripts/test installs chromium-driver)"
        );
        return;
    };
    browser.wait_until(
        "the evidence against its boundary",
        "const c = document.querySelector(\"svg.evidence[data-metric='errors']\"); \
         return !!c && !!c.querySelector(\"line[data-boundary='fail']\") \
         && c.querySelector(\"polyline[data-line='degradation']\").getAttribute('points').split(' ').length > 1;",
    );
    browser.wait_until(
        "the measurements of each metric",
        "const rows = (m) => document.querySelectorAll(`table.measurements[data-metric='${m}'] tr`).length; \
         return rows('errors') > 2 && rows('request-rate') > 1;",
    );
    browser.wait_until(
        "the abort",
        "return document.getElementById('phase').textContent === 'Aborted';",
    );
    browser.screenshot("6-analysis-evidence");
}
