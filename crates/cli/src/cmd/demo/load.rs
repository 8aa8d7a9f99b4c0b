//! The demo's load generator: `GET /` on the rollout's listener at a fixed
//! rate, each request on its own task so that a slow answer never lowers
//! the rate, and every answer counted — by version, injected errors (500
//! with the reference service's `injected error` body) apart from real
//! failures (no answer, 502, 503, any other error).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::watch;

/// What the load generator saw so far.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    /// Requests sent and answered (or failed).
    pub total: u64,
    /// 200 answers per version.
    pub by_version: BTreeMap<String, u64>,
    /// 500 answers carrying the injected-error body, per version.
    pub injected: BTreeMap<String, u64>,
    /// Everything else: connection errors, timeouts, 502, 503, other statuses.
    pub failed: u64,
    /// The last few failures, for a person.
    pub failures: Vec<String>,
    /// When each version answered first.
    pub first_answer: BTreeMap<String, Instant>,
    /// When each version answered last.
    pub last_answer: BTreeMap<String, Instant>,
}

impl Counts {
    /// Answers from `version`, successful or injected errors.
    pub fn answers(&self, version: &str) -> u64 {
        self.by_version.get(version).copied().unwrap_or(0)
            + self.injected.get(version).copied().unwrap_or(0)
    }

    /// Injected errors over every version.
    pub fn injected_total(&self) -> u64 {
        self.injected.values().sum()
    }

    fn record(&mut self, outcome: Outcome) {
        self.total += 1;
        let now = Instant::now();
        match outcome {
            Outcome::Served(v) | Outcome::Injected(v) if v.is_empty() => {
                self.fail("no version".into())
            }
            Outcome::Served(v) => {
                self.first_answer.entry(v.clone()).or_insert(now);
                self.last_answer.insert(v.clone(), now);
                *self.by_version.entry(v).or_insert(0) += 1;
            }
            Outcome::Injected(v) => {
                self.first_answer.entry(v.clone()).or_insert(now);
                self.last_answer.insert(v.clone(), now);
                *self.injected.entry(v).or_insert(0) += 1;
            }
            Outcome::Failed(why) => self.fail(why),
        }
    }

    fn fail(&mut self, why: String) {
        self.failed += 1;
        if self.failures.len() < 10 {
            self.failures.push(why);
        }
    }
}

enum Outcome {
    Served(String),
    Injected(String),
    Failed(String),
}

/// A running load generator.
pub struct Load {
    counts: Arc<Mutex<Counts>>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Load {
    /// Starts sending `rate` requests per second to `127.0.0.1:port`.
    pub fn start(port: u16, rate: u32) -> Result<Load, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .pool_max_idle_per_host(64)
            .build()?;
        let counts = Arc::new(Mutex::new(Counts::default()));
        let (stop, mut stopped) = watch::channel(false);
        let url = format!("http://127.0.0.1:{port}/");
        let shared = counts.clone();
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1) / rate.max(1));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut inflight = tokio::task::JoinSet::new();
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = stopped.changed() => break,
                }
                let (http, url, counts) = (http.clone(), url.clone(), shared.clone());
                inflight.spawn(async move {
                    let outcome = one(&http, &url).await;
                    if let Ok(mut c) = counts.lock() {
                        c.record(outcome);
                    }
                });
                while inflight.try_join_next().is_some() {}
            }
            while inflight.join_next().await.is_some() {}
        });
        Ok(Load { counts, stop, task })
    }

    /// The counts so far.
    pub fn counts(&self) -> Counts {
        self.counts.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// Stops sending, waits for the answers in flight; the final counts.
    pub async fn stop(self) -> Counts {
        let _ = self.stop.send(true);
        let _ = self.task.await;
        self.counts.lock().map(|c| c.clone()).unwrap_or_default()
    }
}

async fn one(http: &reqwest::Client, url: &str) -> Outcome {
    let resp = match http.get(url).send().await {
        Ok(r) => r,
        Err(e) => return Outcome::Failed(format!("no answer: {e}")),
    };
    let status = resp.status().as_u16();
    let body = resp.text().await.unwrap_or_default();
    let version = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v.get("version").and_then(|v| v.as_str()).map(str::to_owned));
    match (status, version) {
        (200, Some(v)) => Outcome::Served(v),
        (500, Some(v)) if body.contains("injected error") => Outcome::Injected(v),
        (500, None) if body.contains("injected error") => Outcome::Injected(String::new()),
        _ => Outcome::Failed(format!(
            "{status}: {}",
            body.chars().take(120).collect::<String>()
        )),
    }
}
