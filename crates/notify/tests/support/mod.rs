//! A real HTTP receiver on 127.0.0.1 for the delivery tests: it records
//! every request (headers and JSON body) as it arrives, can answer 500 a
//! number of times first, can hold its answers behind a gate, and answers
//! with a chosen status. Polling helpers wait with a deadline.

#![allow(clippy::unwrap_used, dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::Value;
use serin_engine::EventReason;
use serin_notify::{Config, Event, Notifier};
use tokio::sync::watch;

/// Every wait ends within this.
pub const LIMIT: Duration = Duration::from_secs(10);

#[derive(Clone)]
struct Shared {
    seen: Arc<Mutex<Vec<(HeaderMap, Value)>>>,
    failures_left: Arc<AtomicUsize>,
    status: StatusCode,
    gate: watch::Receiver<bool>,
    delay: Duration,
}

/// A running receiver.
pub struct Receiver {
    /// Its URL.
    pub url: String,
    shared: Shared,
    open: watch::Sender<bool>,
}

/// How a receiver answers.
pub struct Answers {
    /// 500s answered before the first success.
    pub failures: usize,
    /// The status answered after them.
    pub status: u16,
    /// Answers wait for [`Receiver::open`].
    pub gated: bool,
    /// Every answer waits this long.
    pub delay: Duration,
}

impl Default for Answers {
    fn default() -> Self {
        Self {
            failures: 0,
            status: 200,
            gated: false,
            delay: Duration::ZERO,
        }
    }
}

async fn receive(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    s.seen.lock().unwrap().push((headers, value));
    let mut gate = s.gate.clone();
    let _ = gate.wait_for(|open| *open).await;
    tokio::time::sleep(s.delay).await;
    let fail = s
        .failures_left
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    if fail {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        s.status
    }
}

impl Receiver {
    /// Starts a receiver answering as `answers` says.
    pub async fn start(answers: Answers) -> Receiver {
        let (open, gate) = watch::channel(!answers.gated);
        let shared = Shared {
            seen: Arc::default(),
            failures_left: Arc::new(AtomicUsize::new(answers.failures)),
            status: StatusCode::from_u16(answers.status).unwrap(),
            gate,
            delay: answers.delay,
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let app = Router::new()
            .route("/hook", post(receive))
            .with_state(shared.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { url, shared, open }
    }

    /// Lets gated answers go.
    pub fn open(&self) {
        let _ = self.open.send(true);
    }

    /// The bodies received so far, in order.
    pub fn bodies(&self) -> Vec<Value> {
        let seen = self.shared.seen.lock().unwrap();
        seen.iter().map(|(_, b)| b.clone()).collect()
    }

    /// The headers of request `i`.
    pub fn headers(&self, i: usize) -> HeaderMap {
        self.shared.seen.lock().unwrap()[i].0.clone()
    }

    /// Waits until at least `n` requests arrived; returns their bodies.
    pub async fn wait_for(&self, n: usize) -> Vec<Value> {
        let deadline = Instant::now() + LIMIT;
        loop {
            let bodies = self.bodies();
            if bodies.len() >= n {
                return bodies;
            }
            assert!(
                Instant::now() < deadline,
                "waited {LIMIT:?} for {n} requests, got {bodies:?}"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

/// A URL where nothing listens.
pub fn down_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}/hook", l.local_addr().unwrap())
}

/// A notifier over the `notifications:` YAML.
pub fn notifier(yaml: &str) -> Notifier {
    let config = Config::from_yaml(yaml).unwrap();
    // The workspace builds reqwest without a default TLS crypto provider;
    // serin's client installs one (as the daemon and the controller do).
    let client = serin_metrics::http_client().expect("HTTP client");
    Notifier::start(config, client).unwrap()
}

/// A notifier with one sink named `hook` of `kind` to `url`, with `extra`
/// fields (YAML flow, starting with a comma).
pub fn one_sink(kind: &str, url: &str, extra: &str) -> Notifier {
    notifier(&format!(
        "notifications:\n  sinks: [{{name: hook, type: {kind}, url: '{url}'{extra}}}]\n"
    ))
}

/// A receiver answering `status`, after `failures` 500s.
pub async fn answering(status: u16, failures: usize) -> Receiver {
    Receiver::start(Answers {
        failures,
        status,
        ..Answers::default()
    })
    .await
}

/// Waits until `cond` holds for the notifier's stats.
pub async fn wait_stats(
    n: &Notifier,
    what: &str,
    cond: impl Fn(&[serin_notify::SinkStats]) -> bool,
) {
    let deadline = Instant::now() + LIMIT;
    loop {
        let stats = n.stats();
        if cond(&stats) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "waited {LIMIT:?} for {what}: {stats:?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The fixed instant events of the tests happen at.
pub fn at() -> jiff::Timestamp {
    "2026-11-22T01:00:00Z".parse().unwrap()
}

/// An event of `reason` for rollout `web`, revision `v2`, at step 1, weight 20.
pub fn event(reason: EventReason, message: &str) -> Event {
    let mut e =
        Event::new(reason, "web", "default", message, at()).with_revision(Some("v2".into()));
    e.step = Some(1);
    e.weight = Some(20);
    e
}
