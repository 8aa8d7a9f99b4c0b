//! The fake as a process (`serin-kube-fake`), reached through the kubeconfig
//! it writes, as a controller under a benchmark would reach it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use k8s_openapi::api::apps::v1::ReplicaSet;
use kube::api::Api;
use kube::config::{KubeConfigOptions, Kubeconfig};

/// Stops the fake process however the test ends.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_fake_process_serves_its_fixtures_to_a_client_built_from_its_kubeconfig() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = dir.path().join("kubeconfig");
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fake/fixtures/rollout-mid-release.yaml"
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_serin-kube-fake"))
        .args(["--replicasets", "0", "--kubeconfig"])
        .arg(&kubeconfig)
        .arg(fixture)
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let _running = Running(child);
    let url = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("read");
        line
    })
    .await
    .expect("join");
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    let config = Kubeconfig::read_from(&kubeconfig).expect("kubeconfig");
    let config = kube::Config::from_custom_kubeconfig(config, &KubeConfigOptions::default())
        .await
        .expect("config");
    let client = kube::Client::try_from(config).expect("client");
    let rs: Api<ReplicaSet> = Api::namespaced(client, "shop");
    let canary = rs.get("web-canary").await.expect("the fixture is served");
    assert_eq!(canary.status.expect("status").ready_replicas, Some(1));
}
