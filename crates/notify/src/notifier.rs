//! The [`Notifier`]: one bounded queue and one delivery task per sink.
//! [`Notifier::notify`] filters, pushes and returns; it never awaits.
//! Dropping the last handle closes the queues; each task then delivers
//! what is left and ends.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::EventNotifier;
use crate::config::{Config, Sink};
use crate::deliver::deliver;
use crate::event::Event;
use crate::queue::Queue;

/// Why the notifier could not start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StartError {
    /// Its delivery tasks need a tokio runtime.
    #[error("notifications need a tokio runtime to start in")]
    NoRuntime,
}

/// What happened to one sink's events so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SinkStats {
    /// The sink's name.
    pub name: String,
    /// Events delivered (a 2xx).
    pub delivered: u64,
    /// Events given up on (attempts spent, or a final answer).
    pub failed: u64,
    /// Events dropped from a full queue.
    pub dropped: u64,
    /// Attempts tried again.
    pub retried: u64,
}

#[derive(Default)]
struct Counters {
    delivered: AtomicU64,
    failed: AtomicU64,
    dropped: AtomicU64,
    retried: AtomicU64,
}

/// One sink with its queue.
struct Lane {
    sink: Sink,
    queue: Queue,
    counters: Counters,
}

struct Lanes(Vec<Arc<Lane>>);

impl Drop for Lanes {
    fn drop(&mut self) {
        for lane in &self.0 {
            lane.queue.close();
        }
    }
}

/// Delivers rollout events to the configured sinks. Cheap to clone.
#[derive(Clone)]
pub struct Notifier {
    lanes: Arc<Lanes>,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.lanes.0.iter().map(|l| l.sink.name.as_str()).collect();
        f.debug_struct("Notifier").field("sinks", &names).finish()
    }
}

impl Notifier {
    /// Starts one delivery task per sink of `config` on the current tokio
    /// runtime, sending with `client`.
    pub fn start(config: Config, client: reqwest::Client) -> Result<Self, StartError> {
        let handle = tokio::runtime::Handle::try_current().map_err(|_| StartError::NoRuntime)?;
        let lanes: Vec<Arc<Lane>> = config
            .sinks
            .into_iter()
            .map(|sink| {
                Arc::new(Lane {
                    sink,
                    queue: Queue::new(config.queue_size),
                    counters: Counters::default(),
                })
            })
            .collect();
        for lane in &lanes {
            handle.spawn(run(lane.clone(), client.clone()));
        }
        Ok(Self {
            lanes: Arc::new(Lanes(lanes)),
        })
    }

    /// Queues `event` for every sink whose filter takes it. Returns at once.
    pub fn notify(&self, event: Event) {
        let event = Arc::new(event);
        for lane in &self.lanes.0 {
            if lane.sink.takes(event.reason) && lane.queue.push(event.clone()) {
                lane.counters.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Each sink's counters, in the order configured.
    pub fn stats(&self) -> Vec<SinkStats> {
        self.lanes
            .0
            .iter()
            .map(|l| SinkStats {
                name: l.sink.name.clone(),
                delivered: l.counters.delivered.load(Ordering::Relaxed),
                failed: l.counters.failed.load(Ordering::Relaxed),
                dropped: l.counters.dropped.load(Ordering::Relaxed),
                retried: l.counters.retried.load(Ordering::Relaxed),
            })
            .collect()
    }

    /// Waits, at most `grace`, until every queued event is delivered or
    /// given up on; returns whether they all were.
    pub async fn flush(&self, grace: Duration) -> bool {
        let deadline = Instant::now() + grace;
        loop {
            if self.lanes.0.iter().all(|l| l.queue.idle()) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl EventNotifier for Notifier {
    fn notify(&self, event: Event) {
        Notifier::notify(self, event);
    }
}

/// A sink's delivery task: one event at a time, in order.
async fn run(lane: Arc<Lane>, client: reqwest::Client) {
    let mut dropped_before = 0;
    loop {
        let Some(event) = lane.queue.pop().await else {
            return;
        };
        // Said here, not in `notify`, which must stay cheap.
        let dropped = lane.counters.dropped.load(Ordering::Relaxed);
        if dropped > dropped_before {
            tracing::warn!(
                sink = %lane.sink.name,
                dropped = dropped - dropped_before,
                "notification queue full: oldest events dropped"
            );
            dropped_before = dropped;
        }
        match deliver(&client, &lane.sink, &event, &lane.counters.retried).await {
            Ok(()) => {
                lane.counters.delivered.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                lane.counters.failed.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    sink = %lane.sink.name,
                    rollout = %event.rollout,
                    event = ?event.reason,
                    error = %e,
                    "notification not delivered"
                );
            }
        }
        lane.queue.done();
    }
}
