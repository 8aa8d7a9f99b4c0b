//! `serin controller` as a process against the fake API server, reached
//! through a kubeconfig: it reconciles a Rollout, serves `/healthz`,
//! `/readyz` and `/metrics` with the rollout's phase, holds the leader
//! Lease with `--leader-elect`, and exits 0 on SIGTERM, giving the Lease back.

use std::net::TcpListener;
use std::process::Stdio;
use std::time::Duration;

use serin_kube_fake::{FakeApiServer, FakeOptions};

const ROLLOUT: &str = r#"
apiVersion: serin.dev/v1alpha1
kind: Rollout
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: app, image: "web:1"}]}
  strategy:
    canary:
      steps: [{setWeight: 50}, {pause: {}}]
"#;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

async fn eventually<T, Fut: std::future::Future<Output = Option<T>>>(
    what: &str,
    mut check: impl FnMut() -> Fut,
) -> T {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn get(url: &str) -> Option<(u16, String)> {
    // serin's client installs the TLS crypto provider the workspace's reqwest needs.
    let client = serin_metrics::http_client().ok()?;
    let r = client.get(url).send().await.ok()?;
    let code = r.status().as_u16();
    Some((code, r.text().await.ok()?))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_controller_process_reconciles_reports_metrics_leads_and_stops_on_sigterm() {
    let options = FakeOptions {
        replicaset_simulator: Some(Duration::ZERO),
        ..FakeOptions::default()
    };
    let (fake, _client) = FakeApiServer::start_with(options).await.expect("fake");
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, fake.kubeconfig()).expect("kubeconfig");
    fake.load_yaml(ROLLOUT).expect("fixture");
    let port = free_port();

    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_serin"))
        .args([
            "controller",
            "--leader-elect",
            "--lease-namespace",
            "serin-system",
        ])
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .args(["--metrics-addr", &format!("127.0.0.1:{port}")])
        .args(["--identity", "candidate-a", "--log-format", "json"])
        .env("HOME", dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("serin controller starts");

    // It leads, reconciles the rollout and is ready
    let base = format!("http://127.0.0.1:{port}");
    let healthz = format!("{base}/healthz");
    eventually("healthz", || get(&healthz)).await;
    eventually("the rollout healthy", || async {
        let r = fake.object("serin.dev/v1alpha1", "Rollout", Some("default"), "web")?;
        (r.pointer("/status/phase")?.as_str()? == "Healthy").then_some(())
    })
    .await;
    let lease = fake
        .object(
            "coordination.k8s.io/v1",
            "Lease",
            Some("serin-system"),
            "serin-controller",
        )
        .expect("a Lease");
    assert_eq!(
        lease
            .pointer("/spec/holderIdentity")
            .and_then(|v| v.as_str()),
        Some("candidate-a")
    );
    eventually("readyz 200", || async {
        let (code, _) = get(&format!("{base}/readyz")).await?;
        (code == 200).then_some(())
    })
    .await;
    let metrics = eventually("metrics of the rollout", || async {
        let (_, text) = get(&format!("{base}/metrics")).await?;
        text.contains(r#"phase="Healthy""#).then_some(text)
    })
    .await;
    assert!(
        metrics.contains("serin_reconcile_duration_seconds"),
        "{metrics}"
    );
    assert!(metrics.contains("serin_leader 1"), "{metrics}");

    // On SIGTERM it exits 0 and gives the Lease back
    let pid = child.id().expect("pid");
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("exits in time")
        .expect("status");
    assert!(status.success(), "{status:?}");
    let lease = fake
        .object(
            "coordination.k8s.io/v1",
            "Lease",
            Some("serin-system"),
            "serin-controller",
        )
        .expect("a Lease");
    let holder = lease
        .pointer("/spec/holderIdentity")
        .and_then(|v| v.as_str())
        .unwrap_or("");
    assert_ne!(holder, "candidate-a", "{lease}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serin_promote_reaches_the_controller_through_the_rollout_and_is_carried_out_once() {
    let options = FakeOptions {
        replicaset_simulator: Some(Duration::ZERO),
        ..FakeOptions::default()
    };
    let (fake, _client) = FakeApiServer::start_with(options).await.expect("fake");
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, fake.kubeconfig()).expect("kubeconfig");
    fake.load_yaml(ROLLOUT).expect("fixture");
    let port = free_port();
    let _controller = tokio::process::Command::new(env!("CARGO_BIN_EXE_serin"))
        .arg("controller")
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .args(["--metrics-addr", &format!("127.0.0.1:{port}")])
        .env("HOME", dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("serin controller starts");
    let phase = |want: &'static str| {
        let fake = &fake;
        move || async move {
            let r = fake.object("serin.dev/v1alpha1", "Rollout", Some("default"), "web")?;
            (r.pointer("/status/phase")?.as_str()? == want).then_some(r)
        }
    };
    eventually("healthy", phase("Healthy")).await;

    // Given web:2 paused at 50%
    fake.patch(
        "serin.dev/v1alpha1",
        "Rollout",
        Some("default"),
        "web",
        &serde_json::json!({"spec": {"template": {"spec": {"containers": [
            {"name": "app", "image": "web:2"}
        ]}}}}),
    )
    .expect("image set");
    eventually("paused", phase("Paused")).await;

    // When `serin promote` is run
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_serin"))
        .args(["promote", "web", "-n", "default", "--kubeconfig"])
        .arg(&kubeconfig)
        .env("HOME", dir.path())
        .output()
        .await
        .expect("serin promote runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Then the controller promotes, records the command and empties the queue
    let r = eventually("promoted", phase("Healthy")).await;
    assert_eq!(
        r.pointer("/status/lastCommandId").and_then(|v| v.as_i64()),
        Some(1)
    );
    eventually("the queue emptied", || async {
        let r = fake.object("serin.dev/v1alpha1", "Rollout", Some("default"), "web")?;
        r.pointer("/metadata/annotations/serin.dev~1commands")
            .is_none()
            .then_some(())
    })
    .await;
}
