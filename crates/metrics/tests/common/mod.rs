//! Test harness: a real Prometheus on a free port with its own config and
//! storage, a local service exposing `requests_total{code}` counters whose
//! error share the test sets, a webhook receiver that counts calls and
//! answers as told, and polling with a deadline.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};

pub const PROMETHEUS: &str = "/usr/bin/prometheus";

/// Polls `check` every 100ms until it gives `Some`, or panics after `secs`.
pub async fn eventually<T, F, Fut>(secs: u64, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {secs}s waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    addr
}

/// A service whose `/metrics` counts 100 requests per scrape, of which
/// `error_percent` answered 500.
#[derive(Clone, Default)]
pub struct Service {
    pub error_percent: Arc<AtomicU64>,
    ok: Arc<AtomicU64>,
    err: Arc<AtomicU64>,
}

impl Service {
    pub async fn start(error_percent: u64) -> (Service, SocketAddr) {
        let s = Service::default();
        s.error_percent.store(error_percent, Ordering::SeqCst);
        let app = Router::new()
            .route("/metrics", get(metrics))
            .with_state(s.clone());
        (s, serve(app).await)
    }
}

async fn metrics(State(s): State<Service>) -> String {
    let errors = s.error_percent.load(Ordering::SeqCst).min(100);
    let ok = s.ok.fetch_add(100 - errors, Ordering::SeqCst) + 100 - errors;
    let err = s.err.fetch_add(errors, Ordering::SeqCst) + errors;
    format!(
        "# TYPE requests_total counter\nrequests_total{{code=\"200\"}} {ok}\nrequests_total{{code=\"500\"}} {err}\n"
    )
}

/// A Prometheus process scraping one target every second; killed on drop.
pub struct Prometheus {
    child: Child,
    pub address: String,
    _dir: tempfile::TempDir,
}

impl Prometheus {
    /// Starts Prometheus scraping `target`, or prints a notice and returns
    /// `None` when /usr/bin/prometheus is not installed.
    pub async fn start(target: SocketAddr) -> Option<Prometheus> {
        if !Path::new(PROMETHEUS).exists() {
            eprintln!(
                "SKIPPED: {PROMETHEUS} is missing (apt-get install prometheus); the real-Prometheus test did not run"
            );
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: svc\n    static_configs:\n      - targets: ['{target}']\n"
            ),
        )
        .unwrap();
        let log = std::fs::File::create(dir.path().join("prometheus.log")).unwrap();
        let child = Command::new(PROMETHEUS)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap();
        let p = Prometheus {
            child,
            address: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        };
        let ready = format!("{}/-/ready", p.address);
        let client = reqwest_client();
        eventually(60, "prometheus to be ready", || {
            let (client, ready) = (client.clone(), ready.clone());
            async move {
                let r = client.get(&ready).send().await.ok()?;
                r.status().is_success().then_some(())
            }
        })
        .await;
        Some(p)
    }

    /// Kills the process (Prometheus "stopped mid-analysis").
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        self.kill();
    }
}

pub fn reqwest_client() -> reqwest::Client {
    serin_metrics::http_client().unwrap()
}

/// How the receiver answers one call.
#[derive(Clone, Copy, Debug)]
pub enum Reply {
    Status(u16),
    /// Answer 200 after this long.
    Slow(Duration),
}

/// A webhook receiver: answers from a script (the last reply repeats),
/// counts calls and keeps the bodies.
#[derive(Clone, Default)]
pub struct Receiver {
    script: Arc<Mutex<VecDeque<Reply>>>,
    pub calls: Arc<AtomicU64>,
    pub bodies: Arc<Mutex<Vec<serde_json::Value>>>,
}

impl Receiver {
    pub async fn start(script: &[Reply]) -> (Receiver, String) {
        let r = Receiver {
            script: Arc::new(Mutex::new(script.iter().copied().collect())),
            ..Receiver::default()
        };
        let app = Router::new()
            .route("/hook", post(hook))
            .with_state(r.clone());
        let addr = serve(app).await;
        (r, format!("http://{addr}/hook"))
    }

    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }
}

async fn hook(State(r): State<Receiver>, body: String) -> StatusCode {
    r.calls.fetch_add(1, Ordering::SeqCst);
    if let Ok(v) = serde_json::from_str(&body) {
        r.bodies.lock().unwrap().push(v);
    }
    let reply = {
        let mut script = r.script.lock().unwrap();
        if script.len() > 1 {
            script.pop_front().unwrap()
        } else {
            *script.front().unwrap()
        }
    };
    match reply {
        Reply::Status(code) => StatusCode::from_u16(code).unwrap(),
        Reply::Slow(d) => {
            tokio::time::sleep(d).await;
            StatusCode::OK
        }
    }
}

/// A URL where nothing listens.
pub fn down_url() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("http://127.0.0.1:{port}/hook")
}
