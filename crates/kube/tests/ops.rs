//! The controller's HTTP endpoints over real HTTP on 127.0.0.1: liveness,
//! readiness following the caches, metrics as text, graceful shutdown.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use serin_api::status::RolloutPhase;
use serin_kube::ops::{self, ControllerMetrics};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

struct Server {
    base: String,
    ready: watch::Sender<bool>,
    metrics: Arc<ControllerMetrics>,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

async fn start() -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (ready, ready_rx) = watch::channel(false);
    let metrics = Arc::new(ControllerMetrics::new());
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(ops::serve(
        listener,
        Arc::clone(&metrics),
        ready_rx,
        async move {
            let _ = rx.await;
        },
    ));
    Server {
        base,
        ready,
        metrics,
        shutdown: Some(tx),
        task,
    }
}

/// A plain HTTP/1.1 GET over a new connection (no client crate: the
/// workspace's reqwest is built without a TLS provider installed):
/// status, content type and body.
async fn get(url: String) -> (u16, String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").unwrap();
    let (authority, path) = rest.split_at(rest.find('/').unwrap());
    let mut stream = tokio::net::TcpStream::connect(authority).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).await.unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let content_type = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-type: ")
                .map(str::to_string)
        })
        .unwrap_or_default();
    (status, content_type, body.to_string())
}

#[tokio::test]
async fn healthz_answers_200_while_the_process_runs() {
    let s = start().await;
    let (status, _, _) = get(format!("{}/healthz", s.base)).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn readyz_is_503_until_the_caches_are_synced_then_200() {
    let s = start().await;
    let (status, _, body) = get(format!("{}/readyz", s.base)).await;
    assert_eq!(status, 503, "{body}");
    s.ready.send_replace(true);
    let (status, _, _) = get(format!("{}/readyz", s.base)).await;
    assert_eq!(status, 200);
    s.ready.send_replace(false);
    let (status, _, _) = get(format!("{}/readyz", s.base)).await;
    assert_eq!(status, 503, "not ready again once the controller says so");
}

#[tokio::test]
async fn metrics_serves_what_the_controller_recorded_as_text() {
    let s = start().await;
    s.metrics
        .observe_rollout("shop", "web", Some(RolloutPhase::Progressing), 40);
    s.metrics.error("api");
    s.metrics.reconciled(Duration::from_millis(12));
    s.metrics.set_leader(true);
    let (status, content_type, body) = get(format!("{}/metrics", s.base)).await;
    assert_eq!(status, 200);
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    for line in [
        r#"serin_rollout_phase{namespace="shop",rollout="web",phase="Progressing"} 1"#,
        r#"serin_rollout_phase{namespace="shop",rollout="web",phase="Healthy"} 0"#,
        r#"serin_rollout_canary_weight{namespace="shop",rollout="web"} 40"#,
        r#"serin_reconcile_errors_total{kind="api"} 1"#,
        "serin_reconcile_duration_seconds_count 1",
        "serin_leader 1",
        "# EOF",
    ] {
        assert!(body.contains(line), "{line} missing from\n{body}");
    }
}

#[tokio::test]
async fn an_unknown_path_is_404() {
    let s = start().await;
    let (status, _, _) = get(format!("{}/nope", s.base)).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn serve_returns_once_shutdown_completes() {
    let mut s = start().await;
    s.shutdown.take().unwrap().send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), s.task)
        .await
        .expect("serve ended")
        .unwrap()
        .unwrap();
    let authority = s.base.strip_prefix("http://").unwrap();
    assert!(tokio::net::TcpStream::connect(authority).await.is_err());
}
