//! What the supervisor reports, per version: the engine's
//! [`VersionState`], the ready endpoints (the proxy's arm for that
//! version) and the records needed to adopt its replicas after a restart.
//! A new [`Snapshot`] is published on a `watch` channel at every change.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use serde::{Deserialize, Serialize};
use serin_engine::VersionState;

/// What must be persisted to adopt a replica after the daemon restarts.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplicaRecord {
    /// The version it runs.
    pub version: String,
    /// Its index within the version, from 0.
    pub replica: u32,
    /// Its process id (also its process group id).
    pub pid: u32,
    /// Its loopback port.
    pub port: u16,
    /// When it was started, in milliseconds since the Unix epoch.
    pub started_at_ms: u64,
}

/// One version's replicas.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VersionReport {
    /// What the engine reads.
    pub state: VersionState,
    /// `127.0.0.1:port` of each ready replica, by replica index.
    pub endpoints: Vec<SocketAddr>,
    /// Every replica with a running process (ready or not), by index.
    pub replicas: Vec<ReplicaRecord>,
}

/// Every version's replicas.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// By version.
    pub versions: BTreeMap<String, VersionReport>,
}

impl Snapshot {
    /// The engine's view: `Observed::versions`.
    pub fn version_states(&self) -> BTreeMap<String, VersionState> {
        self.versions
            .iter()
            .map(|(v, r)| (v.clone(), r.state.clone()))
            .collect()
    }

    /// Every running replica, for the store.
    pub fn records(&self) -> Vec<ReplicaRecord> {
        self.versions
            .values()
            .flat_map(|r| r.replicas.iter().cloned())
            .collect()
    }

    /// The ready endpoints of `version` (empty when it has none).
    pub fn endpoints(&self, version: &str) -> &[SocketAddr] {
        self.versions
            .get(version)
            .map_or(&[][..], |r| r.endpoints.as_slice())
    }
}
