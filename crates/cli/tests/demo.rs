//! `serin demo --fast`, end to end: the real binary runs the whole story
//! (v2 with injected errors rolled back, v3 promoted) for each strategy
//! within a deadline, no client request fails, and no process it started
//! outlives it — also when it is interrupted with Ctrl-C (SIGINT).

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Each run of the demo ends within this.
const DEADLINE: Duration = Duration::from_secs(90);

/// Starts `serin demo ARGS` with a marker in its environment (inherited by
/// every replica) and a private TMPDIR; stdout lines arrive on the channel.
fn start(args: &[&str], marker: &str, tmp: &std::path::Path) -> (Child, mpsc::Receiver<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_serin"))
        .arg("demo")
        .args(args)
        .env("SERIN_DEMO_TEST_MARKER", marker)
        .env("TMPDIR", tmp)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            println!("{line}");
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

/// Waits for the child to exit within [`DEADLINE`] (killing it otherwise);
/// returns whether it succeeded and everything it printed.
fn finish(mut child: Child, rx: &mpsc::Receiver<String>, started: Instant) -> (bool, String) {
    let mut out = String::new();
    loop {
        while let Ok(line) = rx.try_recv() {
            out.push_str(&line);
            out.push('\n');
        }
        if let Some(status) = child.try_wait().unwrap() {
            while let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
                out.push_str(&line);
                out.push('\n');
            }
            return (status.success(), out);
        }
        if started.elapsed() > DEADLINE {
            let _ = child.kill();
            panic!("serin demo did not end within {DEADLINE:?}:\n{out}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Processes whose environment holds the marker.
fn processes_with(marker: &str) -> Vec<u32> {
    let needle = format!("SERIN_DEMO_TEST_MARKER={marker}");
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(env) = std::fs::read(e.path().join("environ")) else {
            continue;
        };
        let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
        let zombie = stat
            .rsplit(')')
            .next()
            .is_some_and(|s| s.trim_start().starts_with('Z'));
        if !zombie && env.split(|b| *b == 0).any(|v| v == needle.as_bytes()) {
            out.push(pid);
        }
    }
    out
}

fn marker(name: &str) -> String {
    format!("{name}-{}", std::process::id())
}

fn assert_story(args: &[&str], name: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let marker = marker(name);
    let started = Instant::now();
    let (child, rx) = start(args, &marker, tmp.path());
    let (ok, out) = finish(child, &rx, started);
    assert!(ok, "serin demo failed:\n{out}");
    assert!(out.contains("  v2: rolled back — "), "{out}");
    assert!(out.contains("  v3: promoted"), "{out}");
    assert!(
        out.lines().any(
            |l| l.trim_start().starts_with("failed during the switches:")
                && l.split_whitespace().nth(4) == Some("0")
        ),
        "{out}"
    );
    assert_eq!(processes_with(&marker), Vec::<u32>::new(), "left running");
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        0,
        "its temporary directory is removed"
    );
}

#[test]
fn demo_fast_canary_rolls_back_the_faulty_v2_promotes_v3_and_fails_no_request() {
    assert_story(&["--fast"], "canary");
}

#[test]
fn demo_fast_blue_green_rolls_back_the_faulty_v2_promotes_v3_and_fails_no_request() {
    assert_story(&["--fast", "--strategy", "blue-green"], "bluegreen");
}

#[test]
fn demo_interrupted_with_ctrl_c_stops_every_process_it_started() {
    let tmp = tempfile::tempdir().unwrap();
    let marker = marker("interrupted");
    let started = Instant::now();
    let (child, rx) = start(&["--fast"], &marker, tmp.path());
    loop {
        let line = rx.recv_timeout(DEADLINE).unwrap();
        if line.contains("release v2") {
            break;
        }
    }
    assert!(!processes_with(&marker).is_empty());
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let (ok, out) = finish(child, &rx, started);
    assert!(!ok, "an interrupted demo does not succeed:\n{out}");
    assert_eq!(processes_with(&marker), Vec::<u32>::new(), "left running");
}
