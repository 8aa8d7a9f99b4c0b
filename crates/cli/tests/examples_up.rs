//! Every example with `spec.local` runs under `serin up`: each is started
//! as written, except that the `serin` of its command becomes the binary
//! under test (the examples name `serin`, as installed on the PATH), its
//! listeners move to free ports, and each replica gets an `--instance`
//! marker so the harness can find and stop it. Then v1 must be Healthy with
//! its traffic in effect, and the listener must answer from v1.

#![allow(clippy::unwrap_used)]

mod daemon_support;

use std::net::SocketAddr;
use std::time::Instant;

use daemon_support::{Daemon, LIMIT, free_port, http, serin_bin};
use serde_json::Value;

/// The example's file, its rollout, its production and preview ports, and v1's name.
const LOCAL_EXAMPLES: &[(&str, &str, &str, Option<&str>, &str)] = &[
    ("canary-local.yaml", "web", "127.0.0.1:8080", None, "v1"),
    (
        "bluegreen-local.yaml",
        "shop",
        "127.0.0.1:8081",
        Some("127.0.0.1:8082"),
        "v1",
    ),
    (
        "canary-flagger-form.yaml",
        "api",
        "127.0.0.1:9090",
        None,
        "1.4.0",
    ),
];

fn example(file: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(file);
    std::fs::read_to_string(path).unwrap()
}

/// The example, runnable here.
fn runnable(text: &str, marker: &str, listen: u16, from: &str, preview: Option<&str>) -> String {
    let command = r#"command: ["serin", "demo-app","#;
    assert!(text.contains(command), "the example runs serin demo-app");
    let mut out = text
        .replace(
            command,
            &format!(
                r#"command: ["{}", "demo-app", "--instance", "{marker}-{{version}}-{{replica}}","#,
                serin_bin()
            ),
        )
        .replace(from, &format!("127.0.0.1:{listen}"));
    if let Some(p) = preview {
        out = out.replace(p, &format!("127.0.0.1:{}", free_port()));
    }
    out
}

fn healthy(d: &Daemon, name: &str, version: &str) -> Value {
    let deadline = Instant::now() + LIMIT;
    loop {
        let v: Value = serde_json::from_str(&d.ok(&["status", name, "-o", "json"])).unwrap();
        if v["phase"] == "Healthy" && v["stable"] == version && v["trafficVerified"] == true {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {name} {version} Healthy; last view: {v:#}\nlog:\n{}",
            d.log()
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[test]
fn every_local_example_runs_under_serin_up_and_serves_v1_healthy() {
    for (file, name, listen, preview, v1) in LOCAL_EXAMPLES {
        let text = example(file);
        let d = Daemon::start(|marker, port| runnable(&text, marker, port, listen, *preview));
        healthy(&d, name, v1);
        let addr = SocketAddr::from(([127, 0, 0, 1], d.listen));
        let (status, body) = http(addr, "GET", "/", None, None).unwrap();
        assert_eq!(status, 200, "{file}: {body}");
        let answer: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(answer["version"], *v1, "{file}");
    }
}
