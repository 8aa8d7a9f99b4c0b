//! The demo app over real HTTP on 127.0.0.1: each probe, each fault, the
//! metrics, and graceful shutdown with a request in flight. The app runs
//! in-process on port 0.

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::time::Duration;

use serin_demo_app::{Config, Exit, Faults, Latency, serve};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::{Instant, timeout};

/// Every test ends within this.
const LIMIT: Duration = Duration::from_secs(20);

/// A running app.
struct App {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Exit>,
}

async fn start(faults: Faults, drain_delay: Duration) -> App {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let config = Config {
        version: "v7".into(),
        instance: "replica-0".into(),
        faults,
        drain_delay,
    };
    let task = tokio::spawn(async move {
        serve(listener, config, async move {
            let _ = stopped.await;
        })
        .await
        .unwrap()
    });
    App {
        addr,
        stop: Some(stop),
        task,
    }
}

/// One HTTP/1.1 request on a fresh connection: the status and the body.
async fn request(addr: SocketAddr, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8(out).unwrap();
    let status = text[9..12].parse().unwrap();
    let body = text.split_once("\r\n\r\n").unwrap().1.to_owned();
    (status, body)
}

async fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    request(addr, "GET", path, "").await
}

/// Polls `path` until it answers `status`, within the test limit.
async fn until_status(addr: SocketAddr, path: &str, status: u16) {
    let deadline = Instant::now() + LIMIT;
    loop {
        if get(addr, path).await.0 == status {
            return;
        }
        assert!(Instant::now() < deadline, "{path} never answered {status}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn root_reports_version_instance_and_pid() {
    let app = start(Faults::default(), Duration::ZERO).await;
    let (status, body) = get(app.addr, "/").await;
    assert_eq!(status, 200);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["version"], "v7");
    assert_eq!(v["instance"], "replica-0");
    assert_eq!(v["pid"], std::process::id());
    let (status, body) = get(app.addr, "/version").await;
    assert_eq!((status, body.as_str()), (200, r#"{"version":"v7"}"#));
}

#[tokio::test]
async fn probes_pass_on_a_healthy_app() {
    let app = start(Faults::default(), Duration::ZERO).await;
    for path in ["/startup", "/livez", "/readyz"] {
        assert_eq!(get(app.addr, path).await.0, 200, "{path}");
    }
}

#[tokio::test]
async fn slow_startup_fails_startup_and_readiness_until_it_is_over() {
    let started = Instant::now();
    let faults = Faults {
        startup_seconds: 1.0,
        ..Faults::default()
    };
    let app = start(faults, Duration::ZERO).await;
    assert_eq!(get(app.addr, "/startup").await.0, 503);
    assert_eq!(get(app.addr, "/readyz").await.0, 503);
    assert_eq!(get(app.addr, "/livez").await.0, 200);
    timeout(LIMIT, until_status(app.addr, "/startup", 200))
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(get(app.addr, "/readyz").await.0, 200);
}

#[tokio::test]
async fn failing_readiness_is_set_by_flag_and_cleared_at_run_time() {
    let faults = Faults {
        fail_readiness: true,
        ..Faults::default()
    };
    let app = start(faults, Duration::ZERO).await;
    assert_eq!(get(app.addr, "/readyz").await.0, 503);
    let (status, _) = request(app.addr, "PUT", "/fault", r#"{"failReadiness":false}"#).await;
    assert_eq!(status, 200);
    assert_eq!(get(app.addr, "/readyz").await.0, 200);
}

#[tokio::test]
async fn failing_liveness_is_set_at_run_time() {
    let app = start(Faults::default(), Duration::ZERO).await;
    let (status, body) = request(app.addr, "PUT", "/fault", r#"{"failLiveness":true}"#).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(get(app.addr, "/livez").await.0, 503);
    let (_, body) = get(app.addr, "/fault").await;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["failLiveness"], true);
}

#[tokio::test]
async fn error_rate_answers_500_and_is_counted_by_status_code() {
    let faults = Faults {
        error_rate: 1.0,
        ..Faults::default()
    };
    let app = start(faults, Duration::ZERO).await;
    for _ in 0..3 {
        assert_eq!(get(app.addr, "/").await.0, 500);
    }
    let (status, _) = request(app.addr, "PUT", "/fault", r#"{"errorRate":0}"#).await;
    assert_eq!(status, 200);
    assert_eq!(get(app.addr, "/").await.0, 200);
    let (_, metrics) = get(app.addr, "/metrics").await;
    assert!(
        metrics.contains(r#"demo_http_requests_total{version="v7",path="/",code="500"} 3"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"demo_http_requests_total{version="v7",path="/",code="200"} 1"#),
        "{metrics}"
    );
}

#[tokio::test]
async fn every_metric_series_is_labelled_by_version() {
    let app = start(Faults::default(), Duration::ZERO).await;
    get(app.addr, "/").await;
    let (status, metrics) = get(app.addr, "/metrics").await;
    assert_eq!(status, 200);
    let series: Vec<&str> = metrics
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .collect();
    assert!(
        series
            .iter()
            .any(|l| l.starts_with("demo_http_request_duration_seconds_bucket"))
    );
    for line in series {
        assert!(line.contains(r#"version="v7""#), "{line}");
    }
}

#[tokio::test]
async fn latency_is_added_to_root_requests() {
    let faults = Faults {
        latency: Some(Latency {
            median_ms: 300.0,
            p99_ms: 300.0,
        }),
        ..Faults::default()
    };
    let app = start(faults, Duration::ZERO).await;
    let t = Instant::now();
    assert_eq!(get(app.addr, "/").await.0, 200);
    assert!(t.elapsed() >= Duration::from_millis(300));
    let t = Instant::now();
    assert_eq!(get(app.addr, "/readyz").await.0, 200);
    assert!(t.elapsed() < Duration::from_millis(300));
}

#[tokio::test]
async fn out_of_range_faults_are_refused_with_400() {
    let app = start(Faults::default(), Duration::ZERO).await;
    let (status, body) = request(app.addr, "PUT", "/fault", r#"{"errorRate":2}"#).await;
    assert_eq!(status, 400);
    assert!(body.contains("errorRate"), "{body}");
    let (status, _) = request(app.addr, "PUT", "/fault", r#"{"nope":1}"#).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn crash_after_seconds_stops_the_app_as_crashed() {
    let faults = Faults {
        crash_after_seconds: Some(0.3),
        ..Faults::default()
    };
    let app = start(faults, Duration::ZERO).await;
    let exit = timeout(LIMIT, app.task).await.unwrap().unwrap();
    assert_eq!(exit, Exit::Crashed);
}

#[tokio::test]
async fn crash_can_be_scheduled_at_run_time() {
    let app = start(Faults::default(), Duration::ZERO).await;
    let (status, _) = request(app.addr, "PUT", "/fault", r#"{"crashAfterSeconds":0.2}"#).await;
    assert_eq!(status, 200);
    let exit = timeout(LIMIT, app.task).await.unwrap().unwrap();
    assert_eq!(exit, Exit::Crashed);
}

#[tokio::test]
async fn shutdown_turns_readiness_off_and_finishes_the_request_in_flight() {
    let faults = Faults {
        latency: Some(Latency {
            median_ms: 1500.0,
            p99_ms: 1500.0,
        }),
        ..Faults::default()
    };
    let mut app = start(faults, Duration::from_millis(500)).await;
    let addr = app.addr;
    let slow = tokio::spawn(async move { get(addr, "/").await });
    // Wait until the slow request is in flight.
    let deadline = Instant::now() + LIMIT;
    loop {
        let (_, m) = get(addr, "/metrics").await;
        // The /metrics request itself is in flight too.
        if m.contains(r#"demo_http_requests_in_flight{version="v7"} 2"#) {
            break;
        }
        assert!(Instant::now() < deadline, "the slow request never started");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    app.stop.take().unwrap().send(()).unwrap();
    timeout(LIMIT, until_status(addr, "/readyz", 503))
        .await
        .unwrap();
    let (status, body) = timeout(LIMIT, slow).await.unwrap().unwrap();
    assert_eq!(status, 200, "{body}");
    let exit = timeout(LIMIT, app.task).await.unwrap().unwrap();
    assert_eq!(exit, Exit::Drained);
}
