//! The supervisor's shared state: per version, the replicas asked for and
//! one slot per replica (its port, process, readiness, restarts, health,
//! and the handle that stops its task). Replica tasks update their slot;
//! every change is turned into a [`Snapshot`].

use std::collections::{BTreeMap, BTreeSet};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use serin_engine::VersionState;
use tokio::sync::watch;
use tokio::task::AbortHandle;

use super::Inner;
use super::error::SupervisorError;
use super::ports::free_port;
use super::process::Proc;
use super::replica;
use super::report::{ReplicaRecord, Snapshot, VersionReport};

/// Which replica a task runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Key {
    /// Its version.
    pub(crate) version: String,
    /// Its index.
    pub(crate) replica: u32,
    /// Its port.
    pub(crate) port: u16,
}

impl Key {
    /// `127.0.0.1:port`.
    pub(crate) fn endpoint(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }
}

/// One replica.
#[derive(Debug)]
pub(crate) struct Slot {
    pub(crate) port: u16,
    pub(crate) pid: Option<u32>,
    pub(crate) started_at_ms: u64,
    pub(crate) ready: bool,
    pub(crate) restarts: u32,
    pub(crate) crash_looping: bool,
    pub(crate) start_failure: Option<String>,
    /// Asked to stop (scaled away); no longer counted.
    pub(crate) stopping: bool,
    stop: watch::Sender<bool>,
    task: Option<AbortHandle>,
}

/// One version's replicas.
#[derive(Debug, Default)]
struct VersionSlots {
    asked: u32,
    slots: BTreeMap<u32, Slot>,
}

/// Every version's replicas.
#[derive(Debug, Default)]
pub(crate) struct Table {
    versions: BTreeMap<String, VersionSlots>,
}

impl Table {
    /// The versions present.
    pub(crate) fn versions(&self) -> Vec<String> {
        self.versions.keys().cloned().collect()
    }

    /// Ports given to any replica.
    fn ports(&self) -> BTreeSet<u16> {
        self.versions
            .values()
            .flat_map(|v| v.slots.values().map(|s| s.port))
            .collect()
    }

    /// Starts or stops replicas so that `version` has `replicas`.
    pub(crate) fn scale(
        &mut self,
        inner: &Arc<Inner>,
        version: &str,
        replicas: u32,
    ) -> Result<(), SupervisorError> {
        let mut taken = self.ports();
        let v = self.versions.entry(version.to_owned()).or_default();
        v.asked = replicas;
        let live: Vec<u32> = v
            .slots
            .iter()
            .filter(|(_, s)| !s.stopping)
            .map(|(i, _)| *i)
            .collect();
        let wanted = usize::try_from(replicas).unwrap_or(usize::MAX);
        for i in live.iter().skip(wanted) {
            if let Some(slot) = v.slots.get_mut(i) {
                slot.stopping = true;
                slot.ready = false;
                slot.stop.send_replace(true);
            }
        }
        let mut missing = wanted.saturating_sub(live.len());
        let mut index = 0u32;
        while missing > 0 {
            if let std::collections::btree_map::Entry::Vacant(e) = v.slots.entry(index) {
                let port = free_port(&taken).map_err(SupervisorError::Port)?;
                taken.insert(port);
                let key = Key {
                    version: version.to_owned(),
                    replica: index,
                    port,
                };
                e.insert(Slot::start(inner, key, None));
                missing -= 1;
            }
            index += 1;
        }
        if v.asked == 0 && v.slots.is_empty() {
            self.versions.remove(version);
        }
        Ok(())
    }

    /// Adds an adopted replica; false when its index or port is taken.
    pub(crate) fn insert_adopted(
        &mut self,
        inner: &Arc<Inner>,
        record: &ReplicaRecord,
        proc: Proc,
    ) -> bool {
        if self.ports().contains(&record.port) {
            return false;
        }
        let v = self.versions.entry(record.version.clone()).or_default();
        if v.slots.contains_key(&record.replica) {
            return false;
        }
        let key = Key {
            version: record.version.clone(),
            replica: record.replica,
            port: record.port,
        };
        let mut slot = Slot::start(inner, key, Some(proc));
        slot.pid = Some(record.pid);
        slot.started_at_ms = record.started_at_ms;
        slot.ready = true;
        v.slots.insert(record.replica, slot);
        v.asked =
            u32::try_from(v.slots.values().filter(|s| !s.stopping).count()).unwrap_or(u32::MAX);
        true
    }

    /// Changes the slot of `key`, if it is still there.
    pub(crate) fn update(&mut self, key: &Key, f: impl FnOnce(&mut Slot)) {
        if let Some(slot) = self
            .versions
            .get_mut(&key.version)
            .and_then(|v| v.slots.get_mut(&key.replica))
        {
            f(slot);
        }
    }

    /// Forgets the slot of `key` (its task has ended).
    pub(crate) fn remove(&mut self, key: &Key) {
        if let Some(v) = self.versions.get_mut(&key.version) {
            v.slots.remove(&key.replica);
            if v.asked == 0 && v.slots.is_empty() {
                self.versions.remove(&key.version);
            }
        }
    }

    /// Ends every replica task (the processes keep running).
    pub(crate) fn abort_all(&mut self) {
        for v in self.versions.values_mut() {
            for slot in v.slots.values_mut() {
                if let Some(task) = slot.task.take() {
                    task.abort();
                }
            }
        }
    }

    /// What is published.
    pub(crate) fn snapshot(&self) -> Snapshot {
        let versions = self
            .versions
            .iter()
            .map(|(version, v)| (version.clone(), report(version, v)))
            .collect();
        Snapshot { versions }
    }
}

/// One version's report.
fn report(version: &str, v: &VersionSlots) -> VersionReport {
    let live = || v.slots.values().filter(|s| !s.stopping);
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let state = VersionState {
        replicas: v.asked,
        ready: count(live().filter(|s| s.ready).count()),
        restarts: v.slots.values().map(|s| s.restarts).sum(),
        crash_looping: live().any(|s| s.crash_looping),
        start_failure: live().find_map(|s| s.start_failure.clone()),
    };
    let endpoints = live()
        .filter(|s| s.ready)
        .map(|s| SocketAddr::from((Ipv4Addr::LOCALHOST, s.port)))
        .collect();
    let replicas = v
        .slots
        .iter()
        .filter_map(|(i, s)| {
            Some(ReplicaRecord {
                version: version.to_owned(),
                replica: *i,
                pid: s.pid?,
                port: s.port,
                started_at_ms: s.started_at_ms,
            })
        })
        .collect();
    VersionReport {
        state,
        endpoints,
        replicas,
    }
}

impl Slot {
    /// A slot whose task starts (or, with `adopted`, watches) the replica.
    fn start(inner: &Arc<Inner>, key: Key, adopted: Option<Proc>) -> Self {
        let (stop, stopped) = watch::channel(false);
        let port = key.port;
        let task = tokio::spawn(replica::run(inner.clone(), key, stopped, adopted));
        Self {
            port,
            pid: None,
            started_at_ms: 0,
            ready: false,
            restarts: 0,
            crash_looping: false,
            start_failure: None,
            stopping: false,
            stop,
            task: Some(task.abort_handle()),
        }
    }
}
