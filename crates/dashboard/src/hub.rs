//! What the dashboard server holds between requests: the last view of
//! each rollout, the bounded series sampled from their per-arm numbers, the
//! action log, and the channel that tells every open event stream about a
//! changed view. [`sample`] fills it from the [`Source`] on a timer.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serin_view::RolloutView;
use tokio::sync::{broadcast, watch};

use crate::audit::{AuditLog, Entry};
use crate::budget::{Budget, PER_MINUTE};
use crate::series::{Point, Series};
use crate::source::Source;

/// A changed view and the sample taken with it: one server-sent event.
#[derive(Serialize, Clone, Debug)]
pub struct Change {
    /// The view as it is now.
    pub view: RolloutView,
    /// The sample of its arms taken now.
    pub point: Point,
}

#[derive(Debug)]
struct Held {
    views: BTreeMap<String, RolloutView>,
    series: Series,
    log: AuditLog,
    refusals: Budget,
}

/// The shared state of one dashboard.
#[derive(Debug)]
pub struct Hub<S> {
    /// Where the data comes from.
    pub source: S,
    held: Mutex<Held>,
    changes: broadcast::Sender<Change>,
    stop: Arc<watch::Sender<bool>>,
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

impl<S: Source> Hub<S> {
    /// A hub over `source` keeping `points` samples per rollout.
    pub fn new(source: S, points: usize) -> Hub<S> {
        let (changes, _) = broadcast::channel(256);
        let (stop, _) = watch::channel(false);
        Hub {
            source,
            held: Mutex::new(Held {
                views: BTreeMap::new(),
                series: Series::new(points),
                log: AuditLog::new(500),
                refusals: Budget::new(PER_MINUTE, Duration::from_secs(60)),
            }),
            changes,
            stop: Arc::new(stop),
        }
    }

    fn held(&self) -> MutexGuard<'_, Held> {
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records a fresh list of views: a sample for each, and an event for
    /// each view that changed since the last list.
    pub fn observe(&self, views: Vec<RolloutView>, t: u64) {
        let mut changed = Vec::new();
        {
            let mut held = self.held();
            let names: Vec<String> = views.iter().map(|v| v.name.clone()).collect();
            let keep: Vec<&str> = names.iter().map(String::as_str).collect();
            held.series.retain(&keep);
            held.views.retain(|name, _| keep.contains(&name.as_str()));
            for view in views {
                let point = Point {
                    t,
                    arms: view.arms.clone(),
                };
                held.series.push(&view.name, point.clone());
                if held.views.get(&view.name) != Some(&view) {
                    held.views.insert(view.name.clone(), view.clone());
                    changed.push(Change { view, point });
                }
            }
        }
        for c in changed {
            // No receiver is not an error: nobody is looking.
            let _ = self.changes.send(c);
        }
    }

    /// The last view of every rollout with its last sample, for a new stream.
    pub fn current(&self) -> Vec<Change> {
        let held = self.held();
        held.views
            .values()
            .map(|v| Change {
                view: v.clone(),
                point: held
                    .series
                    .points(&v.name)
                    .pop()
                    .unwrap_or(Point { t: 0, arms: vec![] }),
            })
            .collect()
    }

    /// `rollout`'s series, oldest first.
    pub fn series(&self, rollout: &str) -> Vec<Point> {
        self.held().series.points(rollout)
    }

    /// Records an action in the dashboard's log.
    pub fn record(&self, entry: Entry) {
        self.held().log.record(entry);
    }

    /// Whether one more refused action may go to a rollout's history now.
    pub fn may_record_refusal(&self) -> bool {
        self.held().refusals.take(std::time::Instant::now())
    }

    /// The dashboard's action log, oldest first.
    pub fn log(&self) -> Vec<Entry> {
        self.held().log.entries()
    }

    /// Changes from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.changes.subscribe()
    }

    /// Resolves once the dashboard is stopped.
    pub fn stopped(&self) -> impl std::future::Future<Output = ()> + Send + 'static + use<S> {
        let mut rx = self.stop.subscribe();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    }

    /// The switch that stops the sampler and ends every event stream.
    pub fn stop_switch(&self) -> Arc<watch::Sender<bool>> {
        self.stop.clone()
    }
}

/// Lists the views every `every` until stopped, feeding [`Hub::observe`].
pub async fn sample<S: Source>(hub: Arc<Hub<S>>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let stopped = hub.stopped();
    tokio::pin!(stopped);
    loop {
        tokio::select! {
            () = &mut stopped => return,
            _ = tick.tick() => {}
        }
        match hub.source.list().await {
            Ok(views) => hub.observe(views, now_ms()),
            Err(e) => tracing::debug!(error = %e, "dashboard: listing the rollouts"),
        }
    }
}

#[cfg(test)]
mod tests {
    use serin_api::Command;
    use serin_view::RolloutView;

    use super::Hub;
    use crate::source::{Source, SourceError};

    struct Nothing;

    impl Source for Nothing {
        async fn list(&self) -> Result<Vec<RolloutView>, SourceError> {
            Ok(vec![])
        }
        async fn view(&self, name: &str) -> Result<RolloutView, SourceError> {
            Err(SourceError::NotFound(name.to_owned()))
        }
        async fn history(&self, name: &str) -> Result<Vec<serde_json::Value>, SourceError> {
            Err(SourceError::NotFound(name.to_owned()))
        }
        async fn command(&self, name: &str, _: Command, _: &str) -> Result<(), SourceError> {
            Err(SourceError::NotFound(name.to_owned()))
        }
        async fn refused(&self, name: &str, _: &str, _: &str, _: &str) -> Result<(), SourceError> {
            Err(SourceError::NotFound(name.to_owned()))
        }
    }

    fn view(weight: i32) -> RolloutView {
        RolloutView {
            name: "web".to_owned(),
            canary_weight: weight,
            ..RolloutView::default()
        }
    }

    #[test]
    fn an_unchanged_view_is_sampled_but_sends_no_event() {
        let hub = Hub::new(Nothing, 10);
        let mut events = hub.subscribe();
        hub.observe(vec![view(0)], 1);
        hub.observe(vec![view(0)], 2);
        hub.observe(vec![view(20)], 3);
        let weights: Vec<(i32, u64)> = std::iter::from_fn(|| events.try_recv().ok())
            .map(|c| (c.view.canary_weight, c.point.t))
            .collect();
        assert_eq!(weights, vec![(0, 1), (20, 3)]);
        assert_eq!(hub.series("web").len(), 3);
        assert_eq!(hub.current()[0].view.canary_weight, 20);
    }

    #[test]
    fn a_rollout_that_is_gone_is_forgotten() {
        let hub = Hub::new(Nothing, 10);
        hub.observe(vec![view(0)], 1);
        hub.observe(vec![], 2);
        assert!(hub.current().is_empty());
        assert!(hub.series("web").is_empty());
    }
}
