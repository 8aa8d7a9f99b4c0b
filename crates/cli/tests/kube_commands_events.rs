//! `serin history` on Kubernetes lists the controller's own Events about
//! the Rollout: `serin controller` runs as a process against the fake API
//! server, carries out a command queued by `serin pause`, records
//! `CommandAccepted`, and `serin history` prints it with the pending
//! commands and refusals, in time order (and `--json` gives its reason,
//! note and type).

mod kube_support;

use std::process::Stdio;
use std::time::Duration;

use kube_support::{Cluster, LIMIT, USER};
use serde_json::Value;

/// `serin history web ARGS` until `found` finds something in its output,
/// within [`LIMIT`].
async fn history_until<T>(
    cluster: &Cluster,
    args: &[&str],
    found: impl Fn(&str) -> Option<T>,
) -> T {
    let deadline = tokio::time::Instant::now() + LIMIT;
    let mut all = vec!["history", "web"];
    all.extend(args);
    loop {
        let out = cluster.serin(&all).await;
        if let Some(v) = found(out.ok()) {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out; last history:\n{}",
            out.ok()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_shows_the_controllers_command_accepted_event() {
    let cluster = Cluster::with("web-fresh.yaml").await;
    let kubeconfig = cluster.kubeconfig.to_string_lossy().into_owned();
    let mut controller = cluster.command(&[
        "controller",
        "--kubeconfig",
        &kubeconfig,
        "--metrics-addr",
        "127.0.0.1:0",
    ]);
    let _controller = controller.stderr(Stdio::null()).spawn().expect("spawn");

    cluster.serin(&["pause", "web"]).await.ok();

    let line = history_until(&cluster, &[], |out| {
        out.lines()
            .find(|l| l.starts_with("event CommandAccepted at "))
            .map(str::to_owned)
    })
    .await;
    assert!(
        line.contains(&format!(": pause by {USER}")),
        "the event's note: {line}"
    );
    let json: Value = history_until(&cluster, &["--json"], |out| {
        let doc: Value = serde_json::from_str(out).ok()?;
        doc["events"]
            .as_array()?
            .iter()
            .find(|e| e["reason"] == "CommandAccepted")
            .cloned()
    })
    .await;
    assert_eq!(json["type"], "Normal");
    assert!(json["at"].is_string(), "{json}");
}
