//! `serin up`, the one-host daemon, end to end: the real `serin` binary,
//! the reference service (`serin demo-app`) as the workload, real HTTP over
//! 127.0.0.1 through the embedded proxy, and the CLI against the admin API.
//! Every wait polls a condition with a deadline; every process started is
//! killed when the test ends, pass or fail.

#![allow(clippy::unwrap_used)]

mod daemon_support;

use std::process::Command;

use daemon_support::status::{current_step, healthy_on, phase};
use daemon_support::{Daemon, canary_yaml, http, serin_bin};
use serde_json::Value;

fn count(versions: &[String], v: &str) -> usize {
    versions.iter().filter(|x| *x == v).count()
}

#[test]
fn given_v1_healthy_when_v2_is_set_then_the_canary_is_promoted_and_the_proxy_answers_v2() {
    let d = Daemon::start(|m, port| {
        canary_yaml(m, port, "[{setWeight: 50}, {pause: {duration: 1s}}]", "")
    });
    d.wait_view("v1 healthy", healthy_on("v1"));
    assert!(d.versions(5).iter().all(|v| v == "v1"));

    d.ok(&["set", "version", "web", "v2"]);

    d.wait_view("v2 healthy", healthy_on("v2"));
    assert_eq!(count(&d.versions(10), "v2"), 10);
    let history = d.ok(&["history", "web"]);
    assert!(history.contains("version v2 asked by"), "{history}");
    assert!(history.contains("revision 2 is v2"), "{history}");
    assert!(history.contains("RolloutPromoted"), "{history}");
}

#[test]
fn given_a_canary_at_an_indefinite_pause_when_promoted_then_it_goes_on_to_the_end() {
    let d = Daemon::start(|m, port| {
        canary_yaml(
            m,
            port,
            "[{setWeight: 30}, {pause: {}}, {setWeight: 60}]",
            "",
        )
    });
    d.wait_view("v1 healthy", healthy_on("v1"));
    d.ok(&["set", "version", "web", "v2"]);
    let paused = d.wait_view("the indefinite pause", |v| {
        phase(v) == "Paused" && current_step(v) == Some(1) && v["trafficVerified"] == true
    });
    assert_eq!(paused["canaryWeight"], 30);
    let text = d.ok(&["status", "web"]);
    assert!(text.contains("canary v2 ███░░░░░░░ 30%"), "{text}");
    assert!(text.contains("▶ 2. pause (until promoted)"), "{text}");

    d.ok(&["promote", "web"]);

    d.wait_view("v2 healthy", healthy_on("v2"));
    assert_eq!(count(&d.versions(5), "v2"), 5);
}

#[test]
fn given_a_canary_with_traffic_when_aborted_then_all_traffic_goes_to_stable_and_the_canary_is_scaled_down()
 {
    let d = Daemon::start(|m, port| {
        canary_yaml(
            m,
            port,
            "[{setWeight: 50}, {pause: {}}]",
            "      abortScaleDownDelaySeconds: 1\n",
        )
    });
    d.wait_view("v1 healthy", healthy_on("v1"));
    d.ok(&["set", "version", "web", "v2"]);
    d.wait_view("the canary at 50%", |v| {
        phase(v) == "Paused" && v["canaryWeight"] == 50 && v["trafficVerified"] == true
    });
    assert!(!d.replica_pids(Some("v2")).is_empty());

    d.ok(&["abort", "web"]);

    d.wait_view("the abort in effect", |v| {
        phase(v) == "Aborted" && v["canaryWeight"] == 0 && v["trafficVerified"] == true
    });
    assert_eq!(count(&d.versions(20), "v1"), 20);
    daemon_support::wait_for("the canary's replicas to stop", || {
        d.replica_pids(Some("v2")).is_empty().then_some(())
    });
    let history = d.ok(&["history", "web"]);
    assert!(history.contains("command abort (#1)"), "{history}");
    assert!(history.contains("RolloutAborted"), "{history}");
}

#[test]
fn undo_mid_release_returns_to_stable_at_once_and_after_promotion_releases_the_previous_version() {
    let d = Daemon::start(|m, port| canary_yaml(m, port, "[{setWeight: 50}, {pause: {}}]", ""));
    d.wait_view("v1 healthy", healthy_on("v1"));
    d.ok(&["set", "version", "web", "v2"]);
    d.wait_view("the pause", |v| phase(v) == "Paused");

    // Mid-release: back to the stable version, without steps.
    d.ok(&["undo", "web"]);
    let v = d.wait_view("v1 healthy again", healthy_on("v1"));
    assert_eq!(v["desiredRevision"], "v1");
    assert_eq!(count(&d.versions(5), "v1"), 5);

    // After a promotion: the previous version is released like any other.
    d.ok(&["set", "version", "web", "v2"]);
    d.wait_view("the pause", |v| phase(v) == "Paused");
    d.ok(&["promote", "web", "--full"]);
    d.wait_view("v2 healthy", healthy_on("v2"));
    d.ok(&["undo", "web"]);
    d.wait_view("v1 released at its first pause", |v| {
        v["desiredRevision"] == "v1" && phase(v) == "Paused" && v["canary"] == "v1"
    });
    d.ok(&["promote", "web", "--full"]);
    d.wait_view("v1 healthy", healthy_on("v1"));

    let history = d.ok(&["history", "web"]);
    assert!(history.contains("command undo (#1)"), "{history}");
    assert!(history.contains("version v1 asked by"), "{history}");
}

#[test]
fn given_an_invalid_spec_when_up_then_it_prints_the_lint_errors_exits_non_zero_and_starts_nothing()
{
    let dir = tempfile::tempdir().unwrap();
    let port = daemon_support::free_port();
    let yaml = canary_yaml(
        "never",
        port,
        "[{setWeight: 150}, {pause: {duration: soon}}]",
        "",
    );
    let file = dir.path().join("serin.yaml");
    std::fs::write(&file, yaml).unwrap();
    let lint = Command::new(serin_bin())
        .arg("lint")
        .arg("-f")
        .arg(&file)
        .output()
        .unwrap();
    assert!(!lint.status.success());
    let lint_lines = String::from_utf8(lint.stdout).unwrap();
    assert!(lint_lines.lines().count() >= 2, "{lint_lines}");

    let state = dir.path().join("state");
    let up = Command::new(serin_bin())
        .arg("up")
        .arg("-f")
        .arg(&file)
        .arg("--state-dir")
        .arg(&state)
        .args(["--admin-listen", "127.0.0.1:0"])
        .output()
        .unwrap();

    assert!(!up.status.success());
    assert_eq!(String::from_utf8(up.stderr).unwrap(), lint_lines);
    assert!(!state.exists(), "the state directory was created");
    assert!(std::net::TcpListener::bind(("127.0.0.1", port)).is_ok());
    assert!(daemon_support::pids_with("never-").is_empty());
}

#[test]
fn given_a_daemon_killed_mid_rollout_when_started_again_then_it_resumes_the_same_step_and_weights_and_adopts_the_replicas()
 {
    let mut d = Daemon::start(|m, port| {
        canary_yaml(
            m,
            port,
            "[{setWeight: 30}, {pause: {}}, {setWeight: 60}]",
            "",
        )
    });
    d.wait_view("v1 healthy", healthy_on("v1"));
    d.ok(&["set", "version", "web", "v2"]);
    let before = d.wait_view("the canary at 30%", |v| {
        phase(v) == "Paused" && v["canaryWeight"] == 30 && v["trafficVerified"] == true
    });
    let pids = d.replica_pids(None);
    assert_eq!(pids.len(), 2, "one replica of each version");

    d.kill9();
    assert_eq!(d.replica_pids(None), pids, "replicas outlive the daemon");
    d.spawn();

    let served = d.versions(40);
    assert!(
        count(&served, "v2") > 0 && count(&served, "v1") > 0,
        "{served:?}"
    );
    let after = d.wait_view("the same step, verified", |v| v["trafficVerified"] == true);
    assert_eq!(current_step(&after), current_step(&before));
    assert_eq!(after["canaryWeight"], 30);
    assert_eq!(phase(&after), "Paused");
    assert_eq!(
        d.replica_pids(None),
        pids,
        "the same processes were adopted"
    );

    d.ok(&["promote", "web"]);
    d.wait_view("v2 healthy", healthy_on("v2"));
}

#[test]
fn the_admin_api_refuses_changes_and_reads_without_the_token() {
    let d = Daemon::start(|m, port| canary_yaml(m, port, "[{setWeight: 50}]", ""));
    let admin = d.admin();
    let body = r#"{"version":"v2","by":"mallory"}"#;
    let (status, _) = http(admin, "PUT", "/v1/rollouts/web/version", None, Some(body)).unwrap();
    assert_eq!(status, 401);
    let (status, _) = http(
        admin,
        "PUT",
        "/v1/rollouts/web/version",
        Some("wrong"),
        Some(body),
    )
    .unwrap();
    assert_eq!(status, 401);
    let (status, _) = http(
        admin,
        "POST",
        "/v1/rollouts/web/commands",
        None,
        Some(r#"{"command":"abort"}"#),
    )
    .unwrap();
    assert_eq!(status, 401);
    let (status, _) = http(admin, "GET", "/v1/rollouts", None, None).unwrap();
    assert_eq!(status, 401);
    let (status, _) = http(admin, "GET", "/health", None, None).unwrap();
    assert_eq!(status, 200);
    let token = d.token();
    let (status, body) = http(admin, "GET", "/v1/rollouts/web", Some(&token), None).unwrap();
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["desiredRevision"], "v1");
    let (status, _) = http(admin, "GET", "/v1/rollouts/nope", Some(&token), None).unwrap();
    assert_eq!(status, 404);
}

#[test]
fn given_the_canary_replica_died_while_the_daemon_was_down_when_started_again_then_no_request_reaches_it_and_a_new_one_takes_its_place()
 {
    let mut d = Daemon::start(|m, port| {
        canary_yaml(m, port, "[{setWeight: 50}, {pause: {}}]", "").replace(
            "    drainSeconds: 1\n",
            "    drainSeconds: 1\n    env: {SERIN_DEMO_STARTUP_SECONDS: \"2\"}\n",
        )
    });
    d.wait_view("v1 healthy", healthy_on("v1"));
    d.ok(&["set", "version", "web", "v2"]);
    d.wait_view("the canary at 50%", |v| {
        phase(v) == "Paused" && v["canaryWeight"] == 50 && v["trafficVerified"] == true
    });
    let stable_pids = d.replica_pids(Some("v1"));
    let canary_pids = d.replica_pids(Some("v2"));

    d.kill9();
    for pid in &canary_pids {
        Command::new("kill")
            .args(["-KILL", "--", &format!("-{pid}")])
            .status()
            .unwrap();
    }
    daemon_support::wait_for("the canary replica to be gone", || {
        d.replica_pids(Some("v2")).is_empty().then_some(())
    });
    d.spawn();

    // The new canary replica needs 2s to be ready: meanwhile all goes to stable.
    assert!(d.versions(10).iter().all(|v| v == "v1"));
    let after = d.wait_view("the same step with a new canary", |v| {
        v["canaryWeight"] == 50 && v["trafficVerified"] == true
    });
    assert_eq!(current_step(&after), Some(1));
    assert_eq!(d.replica_pids(Some("v1")), stable_pids, "stable adopted");
    let new_canary = d.replica_pids(Some("v2"));
    assert!(!new_canary.is_empty() && new_canary != canary_pids);
    let served = d.versions(30);
    assert!(count(&served, "v2") > 0, "{served:?}");
}

#[test]
fn given_a_daemon_killed_again_and_again_during_a_release_then_the_release_completes_and_no_answer_is_an_error()
 {
    let mut d = Daemon::start(|m, port| {
        canary_yaml(
            m,
            port,
            "[{setWeight: 25}, {pause: {duration: 1s}}, {setWeight: 50}, {pause: {duration: 1s}}, {setWeight: 75}, {pause: {duration: 1s}}]",
            "      scaleDownDelaySeconds: 1\n",
        )
    });
    d.wait_view("v1 healthy", healthy_on("v1"));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], d.listen));
    let load = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut answers = std::collections::BTreeMap::<u16, usize>::new();
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                // No answer at all while the daemon (and its proxy) is down.
                if let Some((status, _)) = http(addr, "GET", "/", None, None) {
                    *answers.entry(status).or_default() += 1;
                }
            }
            answers
        })
    };
    d.ok(&["set", "version", "web", "v2"]);

    for pause_ms in [700, 1300, 900] {
        std::thread::sleep(std::time::Duration::from_millis(pause_ms)); // a moment, not a wait
        d.kill9();
        d.spawn();
    }

    d.wait_view("v2 healthy", healthy_on("v2"));
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let answers = load.join().unwrap();
    assert_eq!(
        answers.keys().copied().collect::<Vec<_>>(),
        vec![200],
        "{answers:?}"
    );
    assert!(d.versions(10).iter().all(|v| v == "v2"));
}

#[test]
fn given_sigterm_mid_rollout_then_every_replica_is_stopped_and_the_next_up_goes_on_at_the_same_step()
 {
    let mut d = Daemon::start(|m, port| {
        canary_yaml(
            m,
            port,
            "[{setWeight: 30}, {pause: {}}, {setWeight: 60}]",
            "",
        )
    });
    d.wait_view("v1 healthy", healthy_on("v1"));
    d.ok(&["set", "version", "web", "v2"]);
    d.wait_view("the canary at 30%", |v| {
        phase(v) == "Paused" && v["canaryWeight"] == 30 && v["trafficVerified"] == true
    });
    let before = d.replica_pids(None);

    let status = d.terminate();

    assert!(status.success(), "{status}\n{}", d.log());
    assert!(d.replica_pids(None).is_empty(), "replicas stopped");
    d.spawn();
    let after = d.wait_view("the same step with new replicas", |v| {
        v["canaryWeight"] == 30 && v["trafficVerified"] == true && current_step(v) == Some(1)
    });
    assert_eq!(phase(&after), "Paused");
    let now = d.replica_pids(None);
    assert_eq!(now.len(), 2);
    assert!(now.iter().all(|p| !before.contains(p)));
}
