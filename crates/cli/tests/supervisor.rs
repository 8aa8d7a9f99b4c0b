//! The one-host supervisor (`serin-local`) with real processes and real
//! HTTP on 127.0.0.1: `serin demo-app` for healthy, crashing and unhealthy
//! replicas, small shell commands for the rest. Every wait polls a
//! condition with a deadline.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serin_api::rollout::{HttpProbe, LocalProbes, LocalWorkload};
use serin_local::supervisor::{
    DrainFuture, Drainer, NoDrain, Options, ReplicaRecord, Snapshot, Supervisor,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout};

/// Every wait ends within this.
const LIMIT: Duration = Duration::from_secs(30);

fn probe(path: &str) -> HttpProbe {
    HttpProbe {
        path: path.into(),
        period: Some(serin_api::Duration::new("100ms")),
        timeout: Some(serin_api::Duration::new("1s")),
        failure_threshold: Some(2),
    }
}

/// `serin demo-app` with `extra` flags, ready on `/readyz`.
fn demo(extra: &[&str]) -> LocalWorkload {
    let mut command: Vec<String> = [
        env!("CARGO_BIN_EXE_serin"),
        "demo-app",
        "--port",
        "{port}",
        "--version",
        "{version}",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    command.extend(extra.iter().map(|s| (*s).to_owned()));
    LocalWorkload {
        command,
        version: "v1".into(),
        env: BTreeMap::from([("SERIN_DEMO_INSTANCE".into(), "replica-{replica}".into())]),
        probes: LocalProbes {
            readiness: Some(probe("/readyz")),
            ..LocalProbes::default()
        },
        drain_seconds: Some(5),
        grace_seconds: Some(5),
        ..LocalWorkload::default()
    }
}

/// A shell command, ready on `/` (never, unless it serves HTTP).
fn shell(script: &str) -> LocalWorkload {
    LocalWorkload {
        command: vec!["sh".into(), "-c".into(), script.into()],
        version: "v1".into(),
        probes: LocalProbes {
            readiness: Some(probe("/")),
            ..LocalProbes::default()
        },
        drain_seconds: Some(1),
        grace_seconds: Some(1),
        ..LocalWorkload::default()
    }
}

/// Short timings, and a log directory of the test's own.
fn options(test: &str) -> Options {
    let log_dir: PathBuf =
        std::env::temp_dir().join(format!("serin-supervisor-{}-{test}", std::process::id()));
    Options {
        log_dir,
        backoff_initial: Duration::from_millis(50),
        backoff_max: Duration::from_millis(400),
        pid_poll: Duration::from_millis(50),
        ..Options::default()
    }
}

/// Waits until the snapshot satisfies `f`.
async fn until(sup: &Supervisor, what: &str, f: impl Fn(&Snapshot) -> bool) -> Snapshot {
    let mut rx = sup.subscribe();
    match timeout(LIMIT, rx.wait_for(|s| f(s))).await {
        Ok(Ok(s)) => s.clone(),
        _ => panic!(
            "timed out waiting for {what}; last snapshot: {:#?}",
            sup.snapshot()
        ),
    }
}

fn ready(s: &Snapshot, version: &str) -> u32 {
    s.versions.get(version).map_or(0, |v| v.state.ready)
}

/// `GET path` on a fresh connection: status and body.
async fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    request(addr, "GET", path, "").await
}

async fn request(addr: SocketAddr, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).await.unwrap();
    let status = text[9..12].parse().unwrap();
    (status, text.split_once("\r\n\r\n").unwrap().1.to_owned())
}

/// Whether `pid` is a running process (not a zombie).
fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|s| !s.rsplit_once(") ").unwrap().1.starts_with('Z'))
}

/// Polls until `pid` has ended.
async fn until_gone(pid: u32) {
    let deadline = Instant::now() + LIMIT;
    while running(pid) {
        assert!(Instant::now() < deadline, "process {pid} never ended");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Records each drain, and whether the replica still answered then.
#[derive(Default)]
struct Recorder {
    calls: Mutex<Vec<(String, SocketAddr, bool)>>,
}

impl Drainer for Recorder {
    fn drain<'a>(&'a self, version: &'a str, endpoint: SocketAddr, _: Duration) -> DrainFuture<'a> {
        Box::pin(async move {
            let answering = TcpStream::connect(endpoint).await.is_ok();
            self.calls
                .lock()
                .unwrap()
                .push((version.to_owned(), endpoint, answering));
        })
    }
}

#[tokio::test]
async fn a_version_comes_up_ready_with_its_placeholders_filled_in() {
    let sup = Supervisor::new(&demo(&[]), options("up"), Arc::new(NoDrain)).unwrap();
    sup.scale("v1", 2).unwrap();
    let snap = until(&sup, "two ready replicas", |s| ready(s, "v1") == 2).await;
    let v1 = &snap.versions["v1"];
    assert_eq!(v1.state.replicas, 2);
    assert_eq!(v1.endpoints.len(), 2);
    assert_eq!(v1.replicas.len(), 2);
    for (i, endpoint) in v1.endpoints.iter().enumerate() {
        let (status, body) = get(*endpoint, "/").await;
        assert_eq!(status, 200);
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["version"], "v1");
        assert_eq!(v["instance"], format!("replica-{i}"));
        assert_eq!(v["pid"], v1.replicas[i].pid);
    }
    assert_eq!(sup.snapshot().version_states()["v1"].ready, 2);
    timeout(LIMIT, sup.shutdown()).await.unwrap();
    assert!(sup.snapshot().versions.is_empty());
}

#[tokio::test]
async fn scaling_down_drains_the_replica_before_stopping_it() {
    let recorder = Arc::new(Recorder::default());
    let sup = Supervisor::new(&demo(&[]), options("down"), recorder.clone()).unwrap();
    sup.scale("v1", 2).unwrap();
    let snap = until(&sup, "two ready replicas", |s| ready(s, "v1") == 2).await;
    let last = snap.versions["v1"].replicas[1].clone();
    sup.scale("v1", 1).unwrap();
    let snap = until(&sup, "one replica left", |s| {
        s.versions["v1"].replicas.len() == 1 && ready(s, "v1") == 1
    })
    .await;
    assert_eq!(snap.versions["v1"].state.replicas, 1);
    assert_eq!(snap.versions["v1"].replicas[0].replica, 0);
    let calls = recorder.calls.lock().unwrap().clone();
    let endpoint: SocketAddr = ([127, 0, 0, 1], last.port).into();
    assert_eq!(calls, [("v1".to_owned(), endpoint, true)]);
    until_gone(last.pid).await;
    // Scaling up again takes the free index.
    sup.scale("v1", 2).unwrap();
    let snap = until(&sup, "two ready replicas again", |s| ready(s, "v1") == 2).await;
    let indexes: Vec<u32> = snap.versions["v1"]
        .replicas
        .iter()
        .map(|r| r.replica)
        .collect();
    assert_eq!(indexes, [0, 1]);
    timeout(LIMIT, sup.shutdown()).await.unwrap();
}

#[tokio::test]
async fn a_process_that_ignores_sigterm_is_killed_after_the_grace_time() {
    let sup = Supervisor::new(
        &shell(r#"trap "" TERM; echo trapped >&2; sleep 60"#),
        options("grace"),
        Arc::new(NoDrain),
    )
    .unwrap();
    sup.scale("v1", 1).unwrap();
    let snap = until(&sup, "a running process", |s| {
        s.versions.get("v1").is_some_and(|v| v.replicas.len() == 1)
    })
    .await;
    let pid = snap.versions["v1"].replicas[0].pid;
    // Stop it only once the shell ignores SIGTERM.
    let stderr = options("grace").log_dir.join("v1-0.stderr.log");
    let deadline = Instant::now() + LIMIT;
    while !std::fs::read_to_string(&stderr).is_ok_and(|t| t.contains("trapped")) {
        assert!(
            Instant::now() < deadline,
            "the shell never installed its trap"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let started = Instant::now();
    sup.scale("v1", 0).unwrap();
    until(&sup, "the version gone", |s| s.versions.is_empty()).await;
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(1),
        "stopped after {took:?}, before the grace time"
    );
    assert!(!running(pid));
    // The shell's `sleep` child, in the same process group, is gone too
    // (perhaps a zombie waiting for an init that does not reap).
    let group = std::process::Command::new("pgrep")
        .args(["-g", &pid.to_string()])
        .output();
    if let Ok(out) = group {
        for member in String::from_utf8_lossy(&out.stdout).split_whitespace() {
            until_gone(member.parse().unwrap()).await;
        }
    }
}

#[tokio::test]
async fn a_crashing_replica_is_restarted_with_backoff_and_reported_crash_looping() {
    let sup = Supervisor::new(
        &demo(&["--crash-after-seconds", "0.3"]),
        options("crash"),
        Arc::new(NoDrain),
    )
    .unwrap();
    sup.scale("v1", 1).unwrap();
    until(&sup, "ready once", |s| ready(s, "v1") == 1).await;
    let snap = until(&sup, "a crash loop", |s| {
        s.versions["v1"].state.crash_looping
    })
    .await;
    let state = &snap.versions["v1"].state;
    assert!(state.restarts >= 3, "{state:?}");
    assert_eq!(state.start_failure, None, "it was ready, so it can start");
    timeout(LIMIT, sup.shutdown()).await.unwrap();
}

#[tokio::test]
async fn a_command_that_exits_before_ready_reports_a_start_failure_with_its_stderr() {
    let sup = Supervisor::new(
        &shell(r#"echo "loading config"; echo "error: config file /etc/app.toml not found" >&2; exit 1"#),
        options("exits"),
        Arc::new(NoDrain),
    )
    .unwrap();
    sup.scale("v1", 1).unwrap();
    let snap = until(&sup, "a start failure", |s| {
        s.versions["v1"].state.start_failure.is_some()
    })
    .await;
    let why = snap.versions["v1"].state.start_failure.clone().unwrap();
    assert!(why.contains("exited with code 1"), "{why}");
    assert!(
        why.contains("error: config file /etc/app.toml not found"),
        "{why}"
    );
    let (_, stderr) = why.split_once("last stderr lines:\n").unwrap();
    assert!(
        !stderr.contains("loading config"),
        "stdout is not stderr: {why}"
    );
    assert_eq!(snap.versions["v1"].state.ready, 0);
    timeout(LIMIT, sup.shutdown()).await.unwrap();
}

#[tokio::test]
async fn a_command_that_cannot_be_spawned_reports_a_start_failure() {
    let mut spec = shell("");
    spec.command = vec![
        "/nonexistent/serin-test-app".into(),
        "--port".into(),
        "{port}".into(),
    ];
    let sup = Supervisor::new(&spec, options("enoent"), Arc::new(NoDrain)).unwrap();
    sup.scale("v1", 1).unwrap();
    let snap = until(&sup, "a start failure", |s| {
        s.versions["v1"].state.start_failure.is_some()
    })
    .await;
    let why = snap.versions["v1"].state.start_failure.clone().unwrap();
    assert!(
        why.starts_with("cannot start `/nonexistent/serin-test-app --port "),
        "{why}"
    );
    assert!(why.contains("No such file"), "{why}");
    timeout(LIMIT, sup.shutdown()).await.unwrap();
}

#[tokio::test]
async fn a_failing_liveness_probe_restarts_the_replica() {
    let mut spec = demo(&[]);
    spec.probes.liveness = Some(probe("/livez"));
    let sup = Supervisor::new(&spec, options("liveness"), Arc::new(NoDrain)).unwrap();
    sup.scale("v1", 1).unwrap();
    let snap = until(&sup, "ready", |s| ready(s, "v1") == 1).await;
    let first = snap.versions["v1"].replicas[0].clone();
    let endpoint = snap.versions["v1"].endpoints[0];
    let (status, _) = request(endpoint, "PUT", "/fault", r#"{"failLiveness":true}"#).await;
    assert_eq!(status, 200);
    let snap = until(&sup, "a restarted, ready replica", |s| {
        let v = &s.versions["v1"];
        v.state.restarts >= 1
            && v.state.ready == 1
            && v.replicas.first().is_some_and(|r| r.pid != first.pid)
    })
    .await;
    assert_eq!(
        snap.versions["v1"].replicas[0].port, first.port,
        "a replica keeps its port"
    );
    until_gone(first.pid).await;
    timeout(LIMIT, sup.shutdown()).await.unwrap();
}

#[tokio::test]
async fn a_replica_left_running_is_adopted_by_the_next_supervisor() {
    let first = Supervisor::new(&demo(&[]), options("adopt"), Arc::new(NoDrain)).unwrap();
    first.scale("v1", 1).unwrap();
    let snap = until(&first, "ready", |s| ready(s, "v1") == 1).await;
    let mut records = snap.records();
    let json = serde_json::to_string(&records).unwrap();
    drop(first);
    let record = records[0].clone();
    assert!(
        running(record.pid),
        "dropping the supervisor left the replica running"
    );

    let dead = ReplicaRecord {
        replica: 1,
        pid: u32::MAX / 2,
        port: 1,
        ..record.clone()
    };
    records.push(dead.clone());
    let restored: Vec<ReplicaRecord> = serde_json::from_str(&json).unwrap();
    assert_eq!(restored, records[..1]);

    let second = Supervisor::new(&demo(&[]), options("adopt"), Arc::new(NoDrain)).unwrap();
    let adoption = second.adopt(records).await;
    assert_eq!(adoption.adopted, std::slice::from_ref(&record));
    assert_eq!(adoption.discarded.len(), 1);
    assert_eq!(adoption.discarded[0].0, dead);
    let snap = second.snapshot();
    assert_eq!(snap.versions["v1"].state.ready, 1);
    assert_eq!(snap.versions["v1"].state.replicas, 1);
    assert_eq!(snap.records(), std::slice::from_ref(&record));
    assert_eq!(get(snap.versions["v1"].endpoints[0], "/").await.0, 200);

    // The adopted process is not a child: its death is seen by polling its pid.
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &record.pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let snap = until(&second, "a restarted replica", |s| {
        let v = &s.versions["v1"];
        v.state.restarts == 1 && v.state.ready == 1 && v.replicas[0].pid != record.pid
    })
    .await;
    let replacement = snap.versions["v1"].replicas[0].clone();
    assert_eq!((replacement.replica, replacement.port), (0, record.port));
    timeout(LIMIT, second.shutdown()).await.unwrap();
    assert!(!running(replacement.pid));
}

#[tokio::test]
async fn a_slow_start_is_probed_for_readiness_only_after_its_startup_probe_passes() {
    let mut spec = demo(&["--startup-seconds", "1"]);
    spec.probes.startup = Some(HttpProbe {
        failure_threshold: Some(100),
        ..probe("/startup")
    });
    // `/version` answers at once: readiness alone would pass before startup.
    spec.probes.readiness = Some(probe("/version"));
    let sup = Supervisor::new(&spec, options("startup"), Arc::new(NoDrain)).unwrap();
    let started = Instant::now();
    sup.scale("v1", 1).unwrap();
    let snap = until(&sup, "ready", |s| ready(s, "v1") == 1).await;
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(snap.versions["v1"].state.restarts, 0);
    timeout(LIMIT, sup.shutdown()).await.unwrap();
}

#[tokio::test]
async fn a_startup_probe_that_keeps_failing_restarts_the_replica() {
    let mut spec = demo(&["--startup-seconds", "600"]);
    spec.probes.startup = Some(probe("/startup"));
    let sup = Supervisor::new(&spec, options("startup-fails"), Arc::new(NoDrain)).unwrap();
    sup.scale("v1", 1).unwrap();
    let snap = until(&sup, "a restart", |s| s.versions["v1"].state.restarts >= 1).await;
    assert_eq!(snap.versions["v1"].state.ready, 0);
    timeout(LIMIT, sup.shutdown()).await.unwrap();
}

#[tokio::test]
async fn a_replica_failing_readiness_leaves_the_endpoints_until_it_passes_again() {
    let sup = Supervisor::new(&demo(&[]), options("readiness"), Arc::new(NoDrain)).unwrap();
    sup.scale("v1", 1).unwrap();
    let snap = until(&sup, "ready", |s| ready(s, "v1") == 1).await;
    let endpoint = snap.versions["v1"].endpoints[0];
    let (status, _) = request(endpoint, "PUT", "/fault", r#"{"failReadiness":true}"#).await;
    assert_eq!(status, 200);
    let snap = until(&sup, "not ready", |s| ready(s, "v1") == 0).await;
    assert!(snap.versions["v1"].endpoints.is_empty());
    assert_eq!(
        snap.versions["v1"].state.restarts, 0,
        "readiness never restarts"
    );
    let (status, _) = request(endpoint, "PUT", "/fault", r#"{"failReadiness":false}"#).await;
    assert_eq!(status, 200);
    let snap = until(&sup, "ready again", |s| ready(s, "v1") == 1).await;
    assert_eq!(snap.versions["v1"].endpoints, [endpoint]);
    timeout(LIMIT, sup.shutdown()).await.unwrap();
}

#[tokio::test]
async fn a_crash_loop_is_forgotten_once_the_replica_stays_ready() {
    let dir = std::env::temp_dir().join(format!("serin-supervisor-{}-wd", std::process::id()));
    std::fs::create_dir_all(dir.join("v1")).unwrap();
    let script = format!(
        r#"if [ -e ok ]; then exec {} demo-app --port "$1" --version v1; fi; echo "not yet" >&2; exit 1"#,
        env!("CARGO_BIN_EXE_serin")
    );
    let mut spec = shell(&script);
    spec.command.extend(["sh".to_owned(), "{port}".to_owned()]);
    spec.working_dir = Some(format!("{}/{{version}}", dir.display()));
    spec.probes.readiness = Some(probe("/readyz"));
    let mut opts = options("forgotten");
    opts.stable_after = Duration::from_millis(500);
    let sup = Supervisor::new(&spec, opts, Arc::new(NoDrain)).unwrap();
    sup.scale("v1", 1).unwrap();
    until(&sup, "a crash loop and a start failure", |s| {
        let st = &s.versions["v1"].state;
        st.crash_looping
            && st
                .start_failure
                .as_deref()
                .is_some_and(|f| f.contains("not yet"))
    })
    .await;
    std::fs::write(dir.join("v1").join("ok"), "").unwrap();
    until(&sup, "ready without a start failure", |s| {
        let st = &s.versions["v1"].state;
        st.ready == 1 && st.start_failure.is_none()
    })
    .await;
    until(&sup, "the crash loop forgotten", |s| {
        let st = &s.versions["v1"].state;
        st.ready == 1 && !st.crash_looping
    })
    .await;
    timeout(LIMIT, sup.shutdown()).await.unwrap();
    std::fs::remove_dir_all(dir).unwrap();
}

/// A drainer that never finishes.
struct Forever;

impl Drainer for Forever {
    fn drain<'a>(&'a self, _: &'a str, _: SocketAddr, _: Duration) -> DrainFuture<'a> {
        Box::pin(std::future::pending())
    }
}

#[tokio::test]
async fn a_drain_that_never_ends_is_cut_short_after_drain_seconds() {
    let mut spec = demo(&[]);
    spec.drain_seconds = Some(1);
    let sup = Supervisor::new(&spec, options("drain-timeout"), Arc::new(Forever)).unwrap();
    sup.scale("v1", 1).unwrap();
    let snap = until(&sup, "ready", |s| ready(s, "v1") == 1).await;
    let pid = snap.versions["v1"].replicas[0].pid;
    let started = Instant::now();
    sup.scale("v1", 0).unwrap();
    let snap = sup.snapshot();
    assert_eq!(snap.versions["v1"].state.replicas, 0);
    assert!(
        snap.versions["v1"].endpoints.is_empty(),
        "out of the endpoints at once"
    );
    until(&sup, "the version gone", |s| s.versions.is_empty()).await;
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert!(!running(pid));
}

#[tokio::test]
async fn restarts_wait_twice_as_long_each_time_up_to_the_cap() {
    let mut opts = options("backoff");
    opts.backoff_initial = Duration::from_millis(100);
    opts.backoff_max = Duration::from_millis(800);
    let sup = Supervisor::new(&shell("exit 1"), opts, Arc::new(NoDrain)).unwrap();
    let mut rx = sup.subscribe();
    sup.scale("v1", 1).unwrap();
    // When the supervisor reported each restart.
    let mut seen = Vec::new();
    timeout(LIMIT, async {
        while seen.len() < 5 {
            rx.changed().await.unwrap();
            let restarts = rx.borrow_and_update().versions["v1"].state.restarts;
            if usize::try_from(restarts).unwrap() > seen.len() {
                seen.push(Instant::now());
            }
        }
    })
    .await
    .unwrap();
    // Between two crashes: the backoff (100, 200, 400, 800 ms) and a run of
    // `exit 1`, which takes a few milliseconds.
    let gaps: Vec<Duration> = seen.windows(2).map(|w| w[1] - w[0]).collect();
    for (gap, backoff_ms) in gaps.iter().zip([100u64, 200, 400, 800]) {
        let floor = Duration::from_millis(backoff_ms - 40);
        assert!(*gap >= floor, "gaps {gaps:?}: one below {floor:?}");
    }
    assert!(sup.snapshot().versions["v1"].state.crash_looping);
    timeout(LIMIT, sup.shutdown()).await.unwrap();
}

#[tokio::test]
async fn a_recorded_process_that_is_not_ready_is_killed_instead_of_adopted() {
    let spec = shell("sleep 60");
    let first = Supervisor::new(&spec, options("adopt-unready"), Arc::new(NoDrain)).unwrap();
    first.scale("v1", 1).unwrap();
    let snap = until(&first, "a running process", |s| {
        s.versions.get("v1").is_some_and(|v| v.replicas.len() == 1)
    })
    .await;
    drop(first);
    let records = snap.records();
    let pid = records[0].pid;
    assert!(running(pid));

    let second = Supervisor::new(&spec, options("adopt-unready"), Arc::new(NoDrain)).unwrap();
    let adoption = second.adopt(records).await;
    assert!(adoption.adopted.is_empty());
    assert!(
        adoption.discarded[0].1.starts_with("not ready"),
        "{adoption:?}"
    );
    until_gone(pid).await;
    assert!(second.snapshot().versions.is_empty());
}
