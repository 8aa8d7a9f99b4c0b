//! The CLI's commands against a running `serin up`: pause and resume,
//! retry after an abort, `status -w` on a pipe, `list`. Real processes,
//! real HTTP; every wait has a deadline.

#![allow(clippy::unwrap_used)]

mod daemon_support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use daemon_support::status::{current_step, healthy_on, phase};
use daemon_support::{Daemon, canary_yaml, serin_bin};
use serde_json::Value;

#[test]
fn given_a_timed_pause_when_paused_by_a_person_then_it_holds_until_resumed() {
    let d = Daemon::start(|m, port| {
        canary_yaml(
            m,
            port,
            "[{setWeight: 30}, {pause: {duration: 2s}}, {setWeight: 60}, {pause: {}}]",
            "",
        )
    });
    d.wait_view("v1 healthy", healthy_on("v1"));
    d.ok(&["set", "version", "web", "v2"]);
    d.wait_view("the timed pause", |v| current_step(v) == Some(1));

    d.ok(&["pause", "web"]);

    d.wait_view("held by the person's pause", |v| {
        v["paused"]
            .as_array()
            .is_some_and(|p| p.iter().any(|r| r == "paused by a person"))
    });
    // Held: for longer than the timed pause, the step and weight stay.
    let until = Instant::now() + Duration::from_secs(3);
    while Instant::now() < until {
        let v = d.view();
        assert_eq!(current_step(&v), Some(1), "{v:#}");
        assert_eq!(v["canaryWeight"], 30, "{v:#}");
        std::thread::sleep(Duration::from_millis(200));
    }

    d.ok(&["resume", "web"]);

    d.wait_view("the last, indefinite pause", |v| {
        current_step(v) == Some(3) && v["canaryWeight"] == 60 && v["trafficVerified"] == true
    });
    let history = d.ok(&["history", "web"]);
    assert!(history.contains("command pause (#1)"), "{history}");
    assert!(history.contains("command resume (#2)"), "{history}");
}

#[test]
fn given_an_aborted_release_when_retried_then_it_starts_again_from_the_first_step() {
    let d = Daemon::start(|m, port| canary_yaml(m, port, "[{setWeight: 40}, {pause: {}}]", ""));
    d.wait_view("v1 healthy", healthy_on("v1"));
    d.ok(&["set", "version", "web", "v2"]);
    d.wait_view("the pause", |v| {
        phase(v) == "Paused" && v["canaryWeight"] == 40
    });
    d.ok(&["abort", "web"]);
    d.wait_view("aborted", |v| {
        phase(v) == "Aborted" && v["canaryWeight"] == 0
    });

    d.ok(&["retry", "web"]);

    d.wait_view("the first steps again", |v| {
        phase(v) == "Paused"
            && current_step(v) == Some(1)
            && v["canaryWeight"] == 40
            && v["trafficVerified"] == true
    });
    let list = d.ok(&["list"]);
    assert!(
        list.lines()
            .any(|l| l.starts_with("web") && l.contains("Paused") && l.contains("v2")),
        "{list}"
    );
}

#[test]
fn status_watch_on_a_pipe_prints_each_new_state_as_plain_text() {
    let d = Daemon::start(|m, port| canary_yaml(m, port, "[{setWeight: 20}, {pause: {}}]", ""));
    d.wait_view("v1 healthy", healthy_on("v1"));
    let mut watch = Command::new(serin_bin())
        .args(["status", "web", "-w", "--state-dir"])
        .arg(d.state())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = watch.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line.unwrap()).is_err() {
                return;
            }
        }
    });

    d.ok(&["set", "version", "web", "v2"]);

    let deadline = Instant::now() + daemon_support::LIMIT;
    let mut seen = Vec::new();
    let found = loop {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(line) => {
                let hit = line.contains("canary v2 ██░░░░░░░░ 20%");
                seen.push(line);
                if hit {
                    break true;
                }
            }
            Err(_) if Instant::now() > deadline => break false,
            Err(_) => {}
        }
    };
    let _ = watch.kill();
    let _ = watch.wait();
    assert!(found, "{}", seen.join("\n"));
    assert!(
        seen.iter().all(|l| !l.contains('\x1b')),
        "no terminal escapes on a pipe"
    );
    assert!(seen.iter().any(|l| l.contains("stable v1 ██████████ 100%")));
}

#[test]
fn given_two_rollouts_in_one_file_each_gets_its_own_listener_and_releases_alone() {
    let other_port = daemon_support::free_port();
    let d = Daemon::start(|m, port| {
        let web = canary_yaml(m, port, "[{setWeight: 50}, {pause: {}}]", "");
        let api = canary_yaml(&format!("{m}-api"), other_port, "[{setWeight: 50}]", "")
            .replace("name: web", "name: api");
        format!("{web}---\n{api}")
    });
    d.wait_view("web healthy", healthy_on("v1"));
    d.ok(&["set", "version", "api", "v2"]);
    daemon_support::wait_for("api on v2", || {
        let out = d.ok(&["status", "api", "-o", "json"]);
        let v: Value = serde_json::from_str(&out).unwrap();
        healthy_on("v2")(&v).then_some(())
    });
    let list = d.ok(&["list"]);
    assert!(
        list.lines()
            .any(|l| l.starts_with("api ") && l.contains("Healthy") && l.contains("v2")),
        "{list}"
    );
    assert!(
        list.lines()
            .any(|l| l.starts_with("web ") && l.contains("Healthy") && l.contains("v1")),
        "{list}"
    );
    assert!(d.versions(5).iter().all(|v| v == "v1"), "web is untouched");
    let (status, body) = daemon_support::http(
        ([127, 0, 0, 1], other_port).into(),
        "GET",
        "/version",
        None,
        None,
    )
    .unwrap();
    assert_eq!(status, 200);
    assert!(body.contains("v2"), "{body}");
}

#[test]
fn given_a_header_route_step_then_matching_requests_reach_the_canary_and_others_stay_on_stable() {
    let d = Daemon::start(|m, port| {
        canary_yaml(
            m,
            port,
            r#"[{setHeaderRoute: {name: beta, match: [{headerName: x-beta, headerValue: {exact: "yes"}}]}}, {pause: {}}]"#,
            "",
        )
    });
    d.wait_view("v1 healthy", healthy_on("v1"));
    d.ok(&["set", "version", "web", "v2"]);
    d.wait_view("the pause after the header route", |v| {
        phase(v) == "Paused" && current_step(v) == Some(1) && v["trafficVerified"] == true
    });
    let addr = ([127, 0, 0, 1], d.listen).into();
    for _ in 0..5 {
        let (status, body) =
            daemon_support::http_with(addr, "GET", "/version", "x-beta: yes\r\n", None).unwrap();
        assert_eq!(status, 200);
        assert!(body.contains("v2"), "{body}");
    }
    assert!(d.versions(10).iter().all(|v| v == "v1"));
}
