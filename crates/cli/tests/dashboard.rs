//! The dashboard end to end: a real `serin up` with a canary of the
//! reference service, its page in a real headless Chromium (see
//! `dashboard_support`), refused actions in the rollout's history, and
//! `serin dashboard` read-only. Screenshots of
//! each state go to `target/dashboard-screenshots/`.

#![allow(clippy::unwrap_used)]

mod daemon_support;
mod dashboard_support;

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use daemon_support::status::healthy_on;
use daemon_support::{Daemon, canary_yaml, free_port, http, serin_bin, wait_for};
use dashboard_support::Browser;
use dashboard_support::load::Load;
use serde_json::Value;

fn weights(canary: u32) -> String {
    format!(
        "return document.getElementById('weights').dataset.canaryWeight === '{canary}' \
         && document.getElementById('name').textContent === 'web';"
    )
}

fn notice_says(text: &str) -> String {
    format!("return document.getElementById('notice').textContent.includes('{text}');")
}

fn log(d: &Daemon) -> Vec<Value> {
    let (status, body) = http(d.admin(), "GET", "/dashboard/api/log", None, None).unwrap();
    assert_eq!(status, 200, "{body}");
    serde_json::from_str::<Vec<Value>>(&body).unwrap()
}

fn canary_at_30(d: &Daemon) -> bool {
    let v = d.view();
    v["canary"] == "v2" && v["canaryWeight"] == 30 && v["phase"] != "Aborted"
}

#[test]
fn the_page_follows_a_canary_refuses_actions_without_the_token_and_aborts_with_it() {
    if !dashboard_support::available() {
        eprintln!("skipped: no /usr/bin/chromedriver (scripts/test installs chromium-driver)");
        return;
    }
    let d = Daemon::start(|m, port| {
        canary_yaml(
            m,
            port,
            "[{setWeight: 30}, {pause: {}}]",
            "      abortScaleDownDelaySeconds: 1\n",
        )
    });
    d.wait_view("v1 healthy", healthy_on("v1"));
    let _load = Load::start(d.listen);
    let page = format!("http://{}/dashboard/", d.admin());
    let browser = Browser::start();

    // Given the page on a healthy rollout.
    browser.open(&page);
    browser.wait_until("web, all on stable", &weights(0));
    browser.wait_until(
        "numbers in the chart",
        "return document.querySelectorAll('#chart-rps polyline').length > 0;",
    );
    browser.screenshot("1-stable");

    // When v2 is released, the weight changes on the page by itself.
    d.ok(&["set", "version", "web", "v2"]);
    browser.wait_until("the canary at 30%", &weights(30));
    browser.wait_until(
        "the pause step marked current",
        "return document.querySelector('#steps li.current').textContent.startsWith('pause');",
    );
    browser.screenshot("2-canary-30");

    // Without a token, Abort changes nothing.
    browser.click("#abort");
    browser.wait_until("the refusal", &notice_says("sign in"));
    assert!(canary_at_30(&d), "{}", d.view());

    // With a wrong token, it is refused and recorded.
    browser.type_into("#login-name", "mallory");
    browser.type_into("#login-token", "not-the-token");
    browser.click("#login-button");
    browser.click("#abort");
    browser.wait_until("the refusal", &notice_says("wrong token"));
    browser.wait_until(
        "the refusal in the rollout's history",
        "return [...document.querySelectorAll('#history tr.refused')]\
         .some((r) => r.textContent.includes('mallory (dashboard)'));",
    );
    browser.screenshot("3-wrong-token-refused");
    assert!(canary_at_30(&d), "{}", d.view());
    let refused: Vec<Value> = log(&d)
        .into_iter()
        .filter(|e| e["outcome"] == "unauthorized")
        .collect();
    assert_eq!(refused.len(), 2, "{refused:?}");
    assert_eq!(refused[1]["by"], "mallory (dashboard)");
    assert_eq!(refused[1]["command"], "abort");

    // With the token, Abort sends all traffic back to stable.
    browser.click("#logout");
    browser.type_into("#login-name", "alice");
    browser.type_into("#login-token", &d.token());
    browser.click("#login-button");
    browser.click("#abort");
    browser.wait_until("all traffic on stable", &weights(0));
    browser.wait_until(
        "the phase Aborted",
        "return document.getElementById('phase').textContent === 'Aborted';",
    );
    browser.wait_until(
        "the abort in the history",
        "return document.getElementById('history').textContent.includes('alice (dashboard)');",
    );
    browser.screenshot("4-aborted");
    assert!(d.versions(20).iter().all(|v| v == "v1"));
    let history: Vec<Value> = serde_json::from_str(&d.ok(&["history", "web", "--json"])).unwrap();
    assert!(
        history.iter().any(|e| e["type"] == "command"
            && e["command"] == "abort"
            && e["by"] == "alice (dashboard)"),
        "{history:?}"
    );
    let mallory: Vec<(&Value, &Value)> = history
        .iter()
        .filter(|e| e["by"] == "mallory (dashboard)")
        .map(|e| (&e["type"], &e["reason"]))
        .collect();
    assert_eq!(
        mallory,
        [(&Value::from("refused"), &Value::from("wrong bearer token"))],
        "refused, recorded, never a command: {history:?}"
    );
    assert!(
        history.iter().any(|e| e["type"] == "refused"
            && e["by"] == "someone (dashboard)"
            && e["reason"] == "no bearer token"),
        "{history:?}"
    );
}

/// `serin dashboard` as a child process, stopped when dropped.
struct Served {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = wait_for("serin dashboard to stop", || {
            self.child.try_wait().ok().flatten()
        });
    }
}

fn serve(d: &Daemon, extra: &[&str]) -> Served {
    let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let child = Command::new(serin_bin())
        .args(["dashboard", "--listen", &addr.to_string(), "--state-dir"])
        .arg(d.state())
        .args(extra)
        .env_remove("SERIN_ADMIN")
        .env_remove("SERIN_TOKEN")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let served = Served { child, addr };
    wait_for("serin dashboard", || {
        http(addr, "GET", "/api/rollouts", None, None)
            .filter(|(s, b)| *s == 200 && b.contains("\"web\""))
    });
    served
}

/// `pause` through `serin dashboard`, as alice with `token`.
fn pause_as_alice(s: &Served, token: &str) -> (u16, String) {
    let body = r#"{"command":"pause","by":"alice"}"#;
    http(
        s.addr,
        "POST",
        "/api/rollouts/web/commands",
        Some(token),
        Some(body),
    )
    .unwrap()
}

#[test]
fn serin_dashboard_read_only_shows_the_rollouts_and_refuses_every_action_into_the_history() {
    let d = Daemon::start(|m, port| canary_yaml(m, port, "[{setWeight: 30}, {pause: {}}]", ""));
    d.wait_view("v1 healthy", healthy_on("v1"));
    let s = serve(&d, &["--read-only"]);
    let (_, config) = http(s.addr, "GET", "/api/config", None, None).unwrap();
    assert_eq!(config, r#"{"readOnly":true}"#);
    let (status, _) = pause_as_alice(&s, &d.token());
    assert_eq!(status, 403);
    let history: Vec<Value> = serde_json::from_str(&d.ok(&["history", "web", "--json"])).unwrap();
    assert!(
        history.iter().any(|e| e["type"] == "refused"
            && e["command"] == "pause"
            && e["by"] == "alice (dashboard)"
            && e["reason"] == "the dashboard is read-only"),
        "{history:?}"
    );
    let (_, page) = http(s.addr, "GET", "/", None, None).unwrap();
    assert!(page.contains("id=\"readonly\""));
    if dashboard_support::available() {
        let browser = Browser::start();
        browser.open(&format!("http://{}/", s.addr));
        browser.wait_until(
            "the rollout shown, with neither buttons nor sign-in",
            "const hidden = (id) => document.getElementById(id).classList.contains('hidden'); \
             return document.getElementById('name').textContent === 'web' \
             && hidden('actions-card') && hidden('login') && !hidden('readonly');",
        );
        browser.screenshot("5-read-only");
    }
    assert!(d.view()["paused"].as_array().is_none_or(Vec::is_empty));
}

#[test]
fn serin_dashboard_gives_an_action_with_the_token_to_the_daemon() {
    let d = Daemon::start(|m, port| canary_yaml(m, port, "[{setWeight: 30}, {pause: {}}]", ""));
    d.wait_view("v1 healthy", healthy_on("v1"));
    let s = serve(&d, &[]);
    let (status, body) = pause_as_alice(&s, &d.token());
    assert_eq!(status, 202, "{body}");
    let history: Vec<Value> = serde_json::from_str(&d.ok(&["history", "web", "--json"])).unwrap();
    assert!(
        history
            .iter()
            .any(|e| e["command"] == "pause" && e["by"] == "alice (dashboard)"),
        "{history:?}"
    );
}

#[test]
fn a_daemon_with_a_page_open_on_its_event_stream_still_stops_promptly() {
    use std::io::{Read, Write};
    let mut d = Daemon::start(|m, port| canary_yaml(m, port, "[{setWeight: 30}]", ""));
    d.wait_view("v1 healthy", healthy_on("v1"));
    let mut stream = std::net::TcpStream::connect(d.admin()).unwrap();
    stream
        .write_all(b"GET /dashboard/api/events HTTP/1.1\r\nHost: test\r\n\r\n")
        .unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut first = [0u8; 512];
    let n = stream.read(&mut first).unwrap();
    let head = String::from_utf8_lossy(&first[..n]);
    assert!(head.contains("text/event-stream"), "{head}");

    let asked = std::time::Instant::now();
    let status = d.terminate();
    assert!(status.success(), "{status}");
    assert!(
        asked.elapsed() < Duration::from_secs(10),
        "took {:?}",
        asked.elapsed()
    );
}
