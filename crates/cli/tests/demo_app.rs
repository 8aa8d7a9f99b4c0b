//! `serin demo-app` as a real process: it logs JSON on stderr, drains and
//! exits 0 on SIGTERM, exits non-zero on an injected crash, and takes its
//! faults from the environment.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Every wait ends within this.
const LIMIT: Duration = Duration::from_secs(20);

/// Starts `serin demo-app --port 0` with `args` and `env`; returns the child,
/// the address from its `listening` log line, and the rest of its stderr.
#[allow(clippy::zombie_processes)] // every caller waits for the child
fn start(args: &[&str], env: &[(&str, &str)]) -> (Child, SocketAddr, mpsc::Receiver<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_serin"))
        .args(["demo-app", "--port", "0", "--version", "v3"])
        .args(args)
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + LIMIT;
    loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("no 'listening' log line");
        let v: serde_json::Value = serde_json::from_str(&line).expect("a JSON log line");
        if v["fields"]["message"] == "listening" {
            let addr = v["fields"]["addr"].as_str().unwrap().parse().unwrap();
            return (child, addr, rx);
        }
    }
}

fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(LIMIT)).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let status = text[9..12].parse().unwrap();
    (status, text.split_once("\r\n\r\n").unwrap().1.to_owned())
}

/// Waits for the child to exit, within the limit.
fn wait(child: &mut Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + LIMIT;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("the demo app did not exit");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sigterm_drains_and_exits_zero() {
    let (mut child, addr, logs) = start(&[], &[]);
    let (status, body) = get(addr, "/");
    assert_eq!(status, 200);
    assert!(body.contains(r#""version":"v3""#), "{body}");
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    assert_eq!(wait(&mut child).code(), Some(0));
    let messages: Vec<String> = logs.try_iter().collect();
    assert!(
        messages.iter().any(|l| l.contains("draining")),
        "{messages:?}"
    );
}

#[test]
fn injected_crash_exits_non_zero() {
    let (mut child, _, _) = start(&["--crash-after-seconds", "0.2"], &[]);
    assert_eq!(wait(&mut child).code(), Some(3));
}

#[test]
fn faults_are_read_from_the_environment() {
    let (mut child, addr, _) = start(
        &[],
        &[
            ("SERIN_DEMO_ERROR_RATE", "1"),
            ("SERIN_DEMO_FAIL_READINESS", "true"),
        ],
    );
    assert_eq!(get(addr, "/").0, 500);
    assert_eq!(get(addr, "/readyz").0, 503);
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn out_of_range_flags_are_refused() {
    let out = Command::new(env!("CARGO_BIN_EXE_serin"))
        .args(["demo-app", "--port", "0", "--error-rate", "1.5"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("errorRate"));
}
