//! Per-version numbers on Kubernetes: `serin dashboard --prometheus URL`
//! against the fake API server with a Rollout at 20%, and a real
//! Prometheus scraping two real `serin demo-app` processes (the stable
//! revision's and the canary's, the canary failing half its requests)
//! labelled as a cluster's pod scrape labels them. The dashboard's default
//! templates fill the same per-version numbers and series as the daemon's
//! proxy does on one host. Skipped, with a notice, without
//! /usr/bin/prometheus. Screenshot (with Chromium): `k4-prometheus-charts.png`.

#![allow(clippy::unwrap_used)]

mod daemon_support;
mod dashboard_kube_support;
mod dashboard_prometheus_support;
mod dashboard_support;
mod kube_support;

use std::time::Duration;

use dashboard_kube_support::Served;
use dashboard_prometheus_support::{Prometheus, Version};
use dashboard_support::Browser;
use dashboard_support::load::Load;
use kube_support::{Cluster, LIMIT};
use serde_json::Value;

/// The arm of `version` in a view, if it has numbers.
fn arm<'a>(view: &'a Value, version: &str) -> Option<&'a Value> {
    view["arms"]
        .as_array()?
        .iter()
        .find(|a| a["version"] == version)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_prometheus_each_version_has_its_request_rate_error_rate_and_p99() {
    if !dashboard_prometheus_support::available() {
        eprintln!("SKIPPED: no /usr/bin/prometheus (scripts/test installs it)");
        return;
    }
    // Given the stable and the canary revisions serving, scraped by Prometheus.
    let (stable, canary, prometheus, _load) = tokio::task::block_in_place(|| {
        let stable = Version::start("v1", "6b7f9c", 0.0);
        let canary = Version::start("v2", "5d4e8a", 0.5);
        let prometheus = Prometheus::start(&[&stable, &canary]);
        let load = [
            Load::start(stable.addr.port()),
            Load::start(canary.addr.port()),
        ];
        (stable, canary, prometheus, load)
    });
    let cluster = Cluster::with("checkout-paused.yaml").await;

    // When the dashboard reads the cluster with that Prometheus.
    let served = Served::start(
        &cluster,
        &["-n", "default", "--prometheus", &prometheus.url],
    )
    .await;

    // Then each version has its numbers, the canary's errors among them.
    let deadline = tokio::time::Instant::now() + LIMIT;
    let view = loop {
        let view = served.get("/api/rollouts/checkout").await;
        let ready = |hash: &str| {
            arm(&view, hash).is_some_and(|a| {
                a["requestsPerSecond"].as_f64() > Some(0.0) && a["p99Ms"].as_f64().is_some()
            })
        };
        if ready(&stable.hash) && ready(&canary.hash) {
            break view;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no numbers: {view:#}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let stable_arm = arm(&view, &stable.hash).unwrap();
    let canary_arm = arm(&view, &canary.hash).unwrap();
    assert_eq!(
        (&stable_arm["arm"], &canary_arm["arm"]),
        (&Value::from("stable"), &Value::from("canary"))
    );
    assert_eq!(stable_arm["errorRate"].as_f64(), Some(0.0), "{view:#}");
    let canary_errors = canary_arm["errorRate"].as_f64().unwrap();
    assert!((0.2..0.8).contains(&canary_errors), "{view:#}");

    // And the series the charts draw carry them (the next sample at the latest).
    let deadline = tokio::time::Instant::now() + LIMIT;
    loop {
        let series = served.get("/api/rollouts/checkout/series").await;
        let versions: Vec<&Value> = series
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|p| p["arms"].as_array().unwrap().iter().map(|a| &a["version"]))
            .collect();
        if versions.contains(&&Value::from(canary.hash.as_str())) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no numbers in the series: {series}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    if dashboard_support::available() {
        tokio::task::block_in_place(|| {
            let browser = Browser::start();
            browser.open(&format!("{}/", served.base));
            browser.wait_until(
                "a line per version in the error-rate chart, over a few samples",
                "const lines = [...document.querySelectorAll('#chart-errors polyline')]; \
                 return lines.length === 2 \
                 && lines.every((l) => l.getAttribute('points').split(' ').length >= 3);",
            );
            browser.screenshot("k4-prometheus-charts");
        });
    }
}
