//! `serin proxy -c FILE` end to end: the real binary splits real HTTP to a
//! real upstream on 127.0.0.1, exits 0 on SIGTERM, and refuses a bad config
//! naming the field.

#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A minimal HTTP/1.1 upstream answering `hello` on every connection.
fn upstream() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || serve(stream));
        }
    });
    port
}

fn serve(mut stream: TcpStream) {
    let mut buf = [0u8; 4096];
    let mut seen = Vec::new();
    while let Ok(n) = stream.read(&mut buf) {
        if n == 0 {
            return;
        }
        seen.extend_from_slice(&buf[..n]);
        while let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
            seen.drain(..end + 4);
            let reply = "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello";
            if stream.write_all(reply.as_bytes()).is_err() {
                return;
            }
        }
    }
}

fn get(port: u16) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    s.write_all(b"GET / HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n")
        .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

fn config(listen: u16, admin: u16, upstream: u16, stable: u32, canary: u32) -> String {
    format!(
        "admin: {{listen: 127.0.0.1:{admin}}}\nlisteners:\n  - name: web\n    listen: 127.0.0.1:{listen}\n    routing:\n      arms:\n        stable: {{version: v1, endpoints: [127.0.0.1:{upstream}]}}\n        canary: {{version: v2, endpoints: [127.0.0.1:{upstream}]}}\n      weights: {{stable: {stable}, canary: {canary}}}\n"
    )
}

#[test]
fn serin_proxy_forwards_requests_and_exits_zero_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let (listen, admin, up) = (free_port(), free_port(), upstream());
    let path = dir.path().join("proxy.yaml");
    std::fs::write(&path, config(listen, admin, up, 90, 10)).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_serin"))
        .args(["proxy", "-c"])
        .arg(&path)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    let deadline = Instant::now() + Duration::from_secs(20);
    let answer = loop {
        if let Some(a) = get(listen).filter(|a| a.starts_with("HTTP/1.1 200")) {
            break a;
        }
        assert!(Instant::now() < deadline, "the proxy never answered");
        assert!(
            child.try_wait().unwrap().is_none(),
            "the proxy exited early"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    assert!(answer.ends_with("hello"), "{answer}");

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("the proxy did not stop on SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(exit.code(), Some(0));
}

#[test]
fn serin_proxy_refuses_weights_that_do_not_sum_to_100_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("proxy.yaml");
    std::fs::write(&path, config(free_port(), free_port(), free_port(), 80, 10)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_serin"))
        .args(["proxy", "-c"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("listeners[0].routing.weights"), "{stderr}");
}
