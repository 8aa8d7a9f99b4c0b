//! The state shared by every request: who this instance is, when it
//! started, whether it is draining, the faults in effect and the metrics.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use crate::faults::Faults;
use crate::metrics::Metrics;

/// Shared by every handler.
#[derive(Debug)]
pub(crate) struct State {
    /// The version served.
    pub(crate) version: String,
    /// This replica's name.
    pub(crate) instance: String,
    /// When the app started.
    started: Instant,
    /// Set once shutdown begins: readiness fails from then on.
    draining: AtomicBool,
    /// The faults in effect.
    faults: RwLock<Faults>,
    /// When the process crashes, if it is to crash.
    pub(crate) crash_at: watch::Sender<Option<Instant>>,
    /// The metrics.
    pub(crate) metrics: Metrics,
}

impl State {
    /// The state of a fresh app.
    pub(crate) fn new(version: String, instance: String, faults: Faults) -> Arc<Self> {
        let started = Instant::now();
        let crash_at = faults
            .crash_after_seconds
            .map(|s| started + Duration::from_secs_f64(s));
        let metrics = Metrics::new(&version);
        Arc::new(Self {
            version,
            instance,
            started,
            draining: AtomicBool::new(false),
            faults: RwLock::new(faults),
            crash_at: watch::Sender::new(crash_at),
            metrics,
        })
    }

    /// A copy of the faults in effect.
    pub(crate) fn faults(&self) -> Faults {
        match self.faults.read() {
            Ok(f) => f.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Replaces the faults; a changed `crashAfterSeconds` counts from now.
    pub(crate) fn set_faults(&self, new: Faults) {
        let crash_changed;
        {
            let mut f = match self.faults.write() {
                Ok(f) => f,
                Err(poisoned) => poisoned.into_inner(),
            };
            crash_changed = f.crash_after_seconds != new.crash_after_seconds;
            *f = new.clone();
        }
        if crash_changed {
            let at = new
                .crash_after_seconds
                .map(|s| Instant::now() + Duration::from_secs_f64(s));
            self.crash_at.send_replace(at);
        }
    }

    /// Whether the slow-startup period is over.
    pub(crate) fn started(&self) -> bool {
        let startup = Duration::from_secs_f64(self.faults().startup_seconds);
        self.started.elapsed() >= startup
    }

    /// Whether shutdown has begun.
    pub(crate) fn draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    /// Begins shutdown: readiness fails from now on.
    pub(crate) fn begin_drain(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    /// Seconds since start.
    pub(crate) fn uptime(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }
}
