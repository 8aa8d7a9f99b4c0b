//! Notifications from both platforms, end to end. `serin up`: a canary
//! released and promoted with a webhook, a Slack sink that answers after
//! 5 s and a sink that is down takes no longer than the same release
//! without notifications, and the webhook gets the release's events in
//! order; an invalid file starts nothing. `serin controller` (against the
//! fake API server): each Event of a release also reaches the webhook.

#![allow(clippy::unwrap_used)]

mod daemon_support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use daemon_support::status::healthy_on;
use daemon_support::{LIMIT, canary_yaml, free_port, http, pids_with, serin_bin, wait_for};
use serde_json::Value;

/// A receiver on 127.0.0.1 that records each JSON body as it arrives and
/// answers 200 after `delay`, one thread per connection.
struct Receiver {
    url: String,
    bodies: Arc<Mutex<Vec<Value>>>,
}

impl Receiver {
    fn start(delay: Duration) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let bodies: Arc<Mutex<Vec<Value>>> = Arc::default();
        let seen = bodies.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let seen = seen.clone();
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(conn);
                    let mut length = 0;
                    let mut line = String::new();
                    while reader.read_line(&mut line).unwrap_or(0) > 2 {
                        let lower = line.to_ascii_lowercase();
                        if let Some(v) = lower.strip_prefix("content-length:") {
                            length = v.trim().parse().unwrap_or(0);
                        }
                        line.clear();
                    }
                    let mut body = vec![0; length];
                    if reader.read_exact(&mut body).is_err() {
                        return;
                    }
                    let value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    seen.lock().unwrap().push(value);
                    // The receiver is slow on purpose; nothing waits on it.
                    std::thread::sleep(delay);
                    let _ = reader.get_mut().write_all(
                        b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                    );
                });
            }
        });
        Receiver { url, bodies }
    }

    fn bodies(&self) -> Vec<Value> {
        self.bodies.lock().unwrap().clone()
    }
}

/// `serin up` with an optional notifications file; stopped on drop with
/// every replica it started.
struct Up {
    dir: tempfile::TempDir,
    marker: String,
    child: Option<Child>,
}

impl Up {
    fn start(notifications: Option<&str>) -> Up {
        let dir = tempfile::tempdir().unwrap();
        let marker = format!("serin-notify-{}-{}", std::process::id(), free_port());
        let file = dir.path().join("serin.yaml");
        let steps = "[{setWeight: 50}, {pause: {duration: 1s}}]";
        std::fs::write(&file, canary_yaml(&marker, free_port(), steps, "")).unwrap();
        let mut cmd = Command::new(serin_bin());
        cmd.args(["up", "-f"])
            .arg(&file)
            .arg("--state-dir")
            .arg(dir.path().join("state"))
            .args(["--admin-listen", "127.0.0.1:0"])
            .env_remove("SERIN_NOTIFICATIONS")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("up.log")).unwrap());
        if let Some(yaml) = notifications {
            let path = dir.path().join("notifications.yaml");
            std::fs::write(&path, yaml).unwrap();
            cmd.arg("--notifications").arg(path);
        }
        let up = Up {
            child: Some(cmd.spawn().unwrap()),
            dir,
            marker,
        };
        wait_for("the admin address", || {
            std::fs::read_to_string(up.state().join("admin-addr")).ok()
        });
        up
    }

    fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    /// A request to the admin API, with the token.
    fn admin(&self, method: &str, path: &str, body: Option<&str>) -> Option<(u16, String)> {
        let read = |f: &str| std::fs::read_to_string(self.state().join(f)).ok();
        let addr = read("admin-addr")?.trim().parse().ok()?;
        let token = read("admin-token")?;
        http(addr, method, path, Some(token.trim()), body)
    }

    fn wait_view(&self, what: &str, cond: impl Fn(&Value) -> bool) {
        let deadline = Instant::now() + LIMIT;
        loop {
            let view = self
                .admin("GET", "/v1/rollouts/web", None)
                .and_then(|(_, body)| serde_json::from_str(&body).ok())
                .unwrap_or(Value::Null);
            if cond(&view) {
                return;
            }
            let log = std::fs::read_to_string(self.dir.path().join("up.log")).unwrap_or_default();
            assert!(
                Instant::now() < deadline,
                "waiting for {what}: {view}\n{log}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Releases v2 from a healthy v1; the time until v2 is promoted.
    fn release(&self) -> Duration {
        self.wait_view("v1 healthy", healthy_on("v1"));
        let start = Instant::now();
        let put = self.admin(
            "PUT",
            "/v1/rollouts/web/version",
            Some(r#"{"version":"v2","by":"test"}"#),
        );
        assert!(put.as_ref().is_some_and(|(s, _)| *s < 300), "{put:?}");
        self.wait_view("v2 promoted", healthy_on("v2"));
        start.elapsed()
    }
}

impl Drop for Up {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &c.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(15);
            while Instant::now() < deadline && !matches!(c.try_wait(), Ok(Some(_))) {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
        for pid in pids_with(&format!("{}-", self.marker)) {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
    }
}

#[test]
fn a_canary_promoted_with_a_slow_and_a_down_receiver_takes_no_longer_than_without() {
    let without = Up::start(None).release();

    let hook = Receiver::start(Duration::ZERO);
    let slow = Receiver::start(Duration::from_secs(5));
    let down = format!("http://127.0.0.1:{}/hook", free_port());
    let yaml = format!(
        "notifications:
  sinks:
    - {{name: hook, type: webhook, url: '{}'}}
    - {{name: slow, type: slack, url: '{}', timeout: 10s, template: '{{rollout}} {{event}}'}}
    - {{name: down, type: webhook, url: '{down}', attempts: 20, backoff: 10ms}}
",
        hook.url, slow.url
    );
    let up = Up::start(Some(&yaml));
    let with = up.release();
    assert!(
        with < without + Duration::from_secs(2),
        "with notifications {with:?}, without {without:?}"
    );
    assert!(!slow.bodies().is_empty(), "the slow receiver was called");

    let events = wait_for("the promotion at the webhook", || {
        let bodies = hook.bodies();
        bodies
            .iter()
            .any(|b| b["event"] == "RolloutPromoted" && b["revision"] == "v2")
            .then_some(bodies)
    });
    let release: Vec<&str> = events
        .iter()
        .filter(|b| b["revision"] == "v2")
        .filter_map(|b| b["event"].as_str())
        .filter(|e| ["RolloutStarted", "StepCompleted", "RolloutPromoted"].contains(e))
        .collect();
    assert_eq!(
        release,
        [
            "RolloutStarted",
            "StepCompleted",
            "StepCompleted",
            "RolloutPromoted"
        ]
    );
    let started = events
        .iter()
        .find(|b| b["event"] == "RolloutStarted" && b["revision"] == "v2")
        .unwrap();
    assert_eq!(started["rollout"], "web");
    assert_eq!(started["namespace"], "default");
    assert!(
        started["time"].as_str().unwrap().ends_with('Z'),
        "{started}"
    );
}

#[test]
fn an_invalid_notifications_file_starts_nothing_and_names_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("serin.yaml");
    std::fs::write(
        &file,
        canary_yaml("serin-notify-invalid", free_port(), "[]", ""),
    )
    .unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "notifications:\n  sinks: [{name: a, type: slack, url: 'http://x/', template: '{versoin}'}]\n",
    )
    .unwrap();
    let mut child = Command::new(serin_bin())
        .args(["up", "-f"])
        .arg(&file)
        .arg("--state-dir")
        .arg(dir.path().join("state"))
        .args(["--admin-listen", "127.0.0.1:0", "--notifications"])
        .arg(&bad)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status = wait_for("serin up to refuse", || child.try_wait().unwrap());
    let _ = child.kill();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    let expected = format!(
        "{}: notifications.sinks[0].template: unknown placeholder {{versoin}}",
        bad.display()
    );
    assert!(stderr.starts_with(&expected), "{stderr}");
    assert!(!dir.path().join("state").exists());
}

/// A canary on Kubernetes that stops at a pause after its first weight.
const KUBE_ROLLOUT: &str = r#"
apiVersion: serin.dev/v1alpha1
kind: Rollout
metadata: {name: web, namespace: default}
spec:
  replicas: 1
  selector: {matchLabels: {app: notified}}
  template: {metadata: {labels: {app: notified}}, spec: {containers: [{name: app, image: "notified:1"}]}}
  strategy: {canary: {steps: [{setWeight: 25}, {pause: {}}]}}
"#;

/// Polls `check` every 50ms (without blocking the runtime) until it gives
/// a value, within [`LIMIT`].
async fn until<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + LIMIT;
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_controller_sends_each_event_of_a_release_to_the_webhook() {
    let options = serin_kube_fake::FakeOptions {
        replicaset_simulator: Some(Duration::ZERO),
        ..serin_kube_fake::FakeOptions::default()
    };
    let (fake, _client) = serin_kube_fake::FakeApiServer::start_with(options)
        .await
        .unwrap();
    fake.load_yaml(KUBE_ROLLOUT).unwrap();
    let hook = Receiver::start(Duration::ZERO);
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, fake.kubeconfig()).unwrap();
    let notifications = dir.path().join("notifications.yaml");
    std::fs::write(
        &notifications,
        format!(
            "notifications:\n  sinks: [{{name: hook, type: webhook, url: '{}'}}]\n",
            hook.url
        ),
    )
    .unwrap();
    let _controller = tokio::process::Command::new(serin_bin())
        .arg("controller")
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .args(["--metrics-addr", &format!("127.0.0.1:{}", free_port())])
        .arg("--notifications")
        .arg(&notifications)
        .env("HOME", dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let phase = |want: &str| {
        let r = fake.object("serin.dev/v1alpha1", "Rollout", Some("default"), "web")?;
        (r.pointer("/status/phase")?.as_str()? == want).then_some(r)
    };
    let first = until("healthy", || phase("Healthy")).await;
    let stable = first["status"]["stableRevision"]
        .as_str()
        .unwrap()
        .to_owned();

    let image = serde_json::json!({"spec": {"template": {"spec": {"containers": [
        {"name": "app", "image": "notified:2"}
    ]}}}});
    fake.patch(
        "serin.dev/v1alpha1",
        "Rollout",
        Some("default"),
        "web",
        &image,
    )
    .unwrap();
    until("paused at 25%", || phase("Paused")).await;

    let events = until("the pause at the webhook", || {
        let bodies = hook.bodies();
        bodies
            .iter()
            .any(|b| b["event"] == "RolloutPaused")
            .then_some(bodies)
    })
    .await;
    let release: Vec<(&str, &str)> = events
        .iter()
        .filter(|b| b["revision"] != stable.as_str())
        .filter_map(|b| Some((b["event"].as_str()?, b["rollout"].as_str()?)))
        .collect();
    assert_eq!(
        release,
        [
            ("RolloutStarted", "web"),
            ("StepCompleted", "web"),
            ("RolloutPaused", "web")
        ],
        "{events:#?}"
    );
    assert!(events.iter().all(|b| b["namespace"] == "default"));
}
