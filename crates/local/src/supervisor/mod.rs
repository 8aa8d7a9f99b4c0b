//! The process supervisor of the one-host platform. It runs the replicas
//! of each version of one rollout from `spec.local`, each in its own
//! process group on its own loopback port; probes them; restarts crashed
//! or unhealthy ones with backoff; reports crash loops and start failures;
//! drains and stops replicas when a version is scaled down; and adopts
//! replicas a previous daemon left running. Every change is published as a
//! [`Snapshot`] on a `watch` channel.
//!
//! Files: `workload` (spec with defaults), `template`, `ports`, `process`
//! (start, wait, stop), `signal`, `probe`, `backoff` (restart timing and the
//! crash-loop rule), `logs` (output files, stderr tail), `replica` (the task
//! that runs one replica), `table` (the shared state), `report` (what is
//! published), `drain` (the callback), `adopt`.

mod adopt;
mod backoff;
mod drain;
mod error;
mod logs;
mod options;
mod ports;
mod probe;
mod process;
mod replica;
mod report;
mod signal;
mod table;
mod template;
mod workload;

use std::sync::{Arc, Mutex, MutexGuard};

use serin_api::rollout::LocalWorkload;
use tokio::sync::watch;

pub use adopt::Adoption;
pub use drain::{DrainFuture, Drainer, NoDrain};
pub use error::SupervisorError;
pub use options::Options;
pub use report::{ReplicaRecord, Snapshot, VersionReport};
pub use workload::{Probe, Workload};

use table::Table;

/// Runs the replicas of one rollout's versions. Dropping it leaves every
/// process running (to be adopted by the next daemon); call
/// [`Supervisor::shutdown`] to stop them.
pub struct Supervisor {
    inner: Arc<Inner>,
}

/// What the supervisor and its replica tasks share.
pub(crate) struct Inner {
    options: Options,
    workload: Mutex<Arc<Workload>>,
    drainer: Arc<dyn Drainer>,
    table: Mutex<Table>,
    tx: watch::Sender<Snapshot>,
}

impl Supervisor {
    /// A supervisor for `spec.local`, running nothing yet. Must be used
    /// within a tokio runtime.
    pub fn new(
        spec: &LocalWorkload,
        options: Options,
        drainer: Arc<dyn Drainer>,
    ) -> Result<Self, SupervisorError> {
        let workload = Workload::from_spec(spec)?;
        Ok(Self {
            inner: Arc::new(Inner {
                options,
                workload: Mutex::new(Arc::new(workload)),
                drainer,
                table: Mutex::new(Table::default()),
                tx: watch::Sender::new(Snapshot::default()),
            }),
        })
    }

    /// Replaces `spec.local`; replicas started (or restarted) from now on use it.
    pub fn set_workload(&self, spec: &LocalWorkload) -> Result<(), SupervisorError> {
        let workload = Workload::from_spec(spec)?;
        *lock(&self.inner.workload) = Arc::new(workload);
        Ok(())
    }

    /// Runs `replicas` replicas of `version` (the engine's `Action::Scale`).
    /// New replicas take the lowest free indexes; extra ones, highest index
    /// first, are drained and stopped in the background.
    pub fn scale(&self, version: &str, replicas: u32) -> Result<(), SupervisorError> {
        let mut table = self.inner.lock_table();
        let result = table.scale(&self.inner, version, replicas);
        self.inner.publish(&table);
        result
    }

    /// What is running now.
    pub fn snapshot(&self) -> Snapshot {
        self.inner.tx.borrow().clone()
    }

    /// A receiver that wakes on every change of the [`Snapshot`].
    pub fn subscribe(&self) -> watch::Receiver<Snapshot> {
        self.inner.tx.subscribe()
    }

    /// Takes over replicas a previous daemon left running: those whose pid
    /// is alive (and started when recorded) and whose port passes the
    /// readiness probe. The others are killed (when still running) and
    /// forgotten.
    pub async fn adopt(&self, records: Vec<ReplicaRecord>) -> Adoption {
        adopt::adopt(&self.inner, records).await
    }

    /// Scales every version to zero (draining each ready replica) and
    /// waits until every process has ended.
    pub async fn shutdown(&self) {
        {
            let mut table = self.inner.lock_table();
            for version in table.versions() {
                // Scaling to zero allocates no port, so it cannot fail.
                let _ = table.scale(&self.inner, &version, 0);
            }
            self.inner.publish(&table);
        }
        let mut rx = self.subscribe();
        let _ = rx.wait_for(|s| s.versions.is_empty()).await;
    }
}

impl Drop for Supervisor {
    /// Stops supervising without stopping the processes.
    fn drop(&mut self) {
        self.inner.lock_table().abort_all();
    }
}

impl Inner {
    /// The workload in effect.
    pub(crate) fn workload(&self) -> Arc<Workload> {
        lock(&self.workload).clone()
    }

    /// The supervisor's options.
    pub(crate) fn options(&self) -> &Options {
        &self.options
    }

    /// The drain callback.
    pub(crate) fn drainer(&self) -> &dyn Drainer {
        self.drainer.as_ref()
    }

    /// The shared table.
    pub(crate) fn lock_table(&self) -> MutexGuard<'_, Table> {
        lock(&self.table)
    }

    /// Publishes the table's snapshot if it changed.
    pub(crate) fn publish(&self, table: &Table) {
        let snapshot = table.snapshot();
        self.tx.send_if_modified(|old| {
            if *old == snapshot {
                false
            } else {
                *old = snapshot;
                true
            }
        });
    }
}

/// Locks `m`, recovering from a panic of another holder.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
