//! The dashboard page on Kubernetes in a real headless Chromium (see
//! `dashboard_support`): `serin dashboard -n default` against the fake API
//! server with a Rollout paused at 20%. Promote without signing in changes
//! nothing but is in the history as refused; after signing in it is queued
//! on the Rollout as `alice (dashboard)`; when the controller's status
//! moves on, the page follows. Screenshots: `target/dashboard-screenshots/k*.png`.

#![allow(clippy::unwrap_used)]

mod daemon_support;
mod dashboard_kube_support;
mod dashboard_support;
mod kube_support;

use dashboard_kube_support::{Served, TOKEN};
use dashboard_support::Browser;
use kube_support::Cluster;
use serde_json::json;
use serin_api::Command;

fn weights(canary: u32) -> String {
    format!(
        "return document.getElementById('weights').dataset.canaryWeight === '{canary}' \
         && document.getElementById('name').textContent === 'checkout';"
    )
}

fn shows(id: &str, text: &str) -> String {
    format!("return document.getElementById('{id}').textContent.includes('{text}');")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_shows_a_cluster_rollout_and_queues_promote_only_after_sign_in() {
    if !dashboard_support::available() {
        eprintln!("skipped: no /usr/bin/chromedriver (scripts/test installs chromium-driver)");
        return;
    }
    let cluster = Cluster::with("checkout-paused.yaml").await;
    let served = Served::start(&cluster, &["-n", "default"]).await;
    let promote = "#actions button[data-command='promote']";

    // The browser's calls block: off the runtime's own threads.
    tokio::task::block_in_place(|| {
        let browser = Browser::start();

        // Given the page on a rollout paused at 20%.
        browser.open(&format!("{}/", served.base));
        browser.wait_until("checkout at 20%", &weights(20));
        browser.wait_until("its revisions", &shows("history", "5d4e8a"));
        browser.screenshot("k1-cluster-paused");

        // Without signing in, Promote changes nothing.
        browser.click(promote);
        browser.wait_until("the refusal", &shows("notice", "sign in"));
        browser.wait_until(
            "the refusal in the rollout's history",
            "return [...document.querySelectorAll('#history tr.refused')]\
             .some((r) => r.textContent.includes('someone (dashboard)') \
             && r.textContent.includes('no bearer token'));",
        );
        assert!(cluster.queue("default", "checkout").is_empty());

        // Signed in, Promote is queued on the Rollout as alice's.
        browser.type_into("#login-name", "alice");
        browser.type_into("#login-token", TOKEN);
        browser.click("#login-button");
        browser.click(promote);
        browser.wait_until("the queued command", &shows("history", "alice (dashboard)"));
        browser.screenshot("k2-promote-queued");
        let queue = cluster.queue("default", "checkout");
        assert_eq!(
            (queue.len(), &queue[0].command, queue[0].by.as_str()),
            (1, &Command::Promote, "alice (dashboard)")
        );

        // When the controller moves on, the page follows.
        let moved_on = json!({ "status": {
            "phase": "Progressing", "currentStepIndex": 2, "pauseConditions": null,
            "traffic": { "canaryWeight": 60 }, "lastCommandId": 8,
        } });
        let kind = ("serin.dev/v1alpha1", "Rollout", Some("default"));
        cluster
            .fake
            .patch_status(kind.0, kind.1, kind.2, "checkout", &moved_on)
            .unwrap();
        browser.wait_until("checkout at 60%", &weights(60));
        browser.screenshot("k3-cluster-60");
    });
}
