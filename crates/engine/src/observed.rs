//! What the platform saw, handed to the engine in one snapshot: the status it
//! last wrote, the revision the spec asks for, each version's replicas, the
//! traffic read back from the router, the analysis runs (a finished one
//! with when it finished), the pending commands, the workload a
//! `workloadRef` points at, whether the rollout is being deleted, and the
//! revisions kept with nothing running (for `revisionHistoryLimit`). The
//! engine reads nothing else.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serin_api::status::Traffic;
use serin_api::{AnalysisPhase, CommandRequest, RolloutStatus, Time};

/// A snapshot of the world for one rollout.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Observed {
    /// The status as last written.
    #[serde(default)]
    pub status: RolloutStatus,
    /// The revision the spec asks for (a pod-template hash, or a version on one host).
    pub desired_revision: String,
    /// Each version that has (or had) replicas, by revision.
    #[serde(default)]
    pub versions: BTreeMap<String, VersionState>,
    /// The traffic the router reports as in effect; `None` when it holds nothing yet.
    #[serde(default)]
    pub traffic: Option<Traffic>,
    /// Analysis runs of this rollout, by name.
    #[serde(default)]
    pub analysis_runs: BTreeMap<String, RunState>,
    /// Commands given, in id order; those at or below `status.lastCommandId` were handled.
    #[serde(default)]
    pub commands: Vec<CommandRequest>,
    /// The workload `spec.workloadRef` points at (on Kubernetes, a
    /// Deployment), as found; `None` without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload: Option<WorkloadState>,
    /// The rollout is being deleted (on Kubernetes, its deletionTimestamp is
    /// set and serin's finalizer holds it); `None` otherwise. The engine
    /// then plans only giving back what the rollout holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleting: Option<Deleting>,
    /// Revisions the platform keeps for undo with nothing running (on
    /// Kubernetes, ReplicaSets at zero replicas with no pod left), each
    /// with its revision number; empty where nothing is kept (one host).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub idle_revisions: Vec<IdleRevision>,
}

/// A revision kept for undo with nothing running.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IdleRevision {
    /// The revision.
    pub revision: String,
    /// Its revision number (the lowest is the oldest; 0 when unknown).
    #[serde(default)]
    pub number: i64,
}

/// The workload a `workloadRef` points at.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorkloadState {
    /// Replicas it asks for now.
    #[serde(default)]
    pub replicas: u32,
}

/// What the platform saw of a rollout being deleted.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Deleting {
    /// Routing objects the rollout's routers drive that no longer exist
    /// (deleted before the rollout), each as `Kind namespace/name` or the
    /// router's words. They carry no traffic to move, so the traffic is not
    /// waited for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routing_gone: Vec<String>,
}

/// The replicas of one version.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VersionState {
    /// Replicas asked for.
    #[serde(default)]
    pub replicas: u32,
    /// Replicas ready to serve.
    #[serde(default)]
    pub ready: u32,
    /// Restarts of its replicas, added up.
    #[serde(default)]
    pub restarts: u32,
    /// A replica keeps crashing (Kubernetes CrashLoopBackOff, or the one-host
    /// supervisor's backoff limit).
    #[serde(default)]
    pub crash_looping: bool,
    /// The version cannot start at all, with why (for example a command's last
    /// stderr lines).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_failure: Option<String>,
}

/// An analysis run's verdict so far.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RunState {
    /// The run's phase.
    pub phase: AnalysisPhase,
    /// Why, for a person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// When a finished run reached its phase (`None` while it runs, or
    /// when the platform does not know: such a run counts as the oldest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<Time>,
}

impl Observed {
    /// The state of `revision`, empty when it has no replicas.
    pub fn version(&self, revision: &str) -> VersionState {
        self.versions.get(revision).cloned().unwrap_or_default()
    }

    /// Ready replicas of `revision`.
    pub fn ready(&self, revision: &str) -> u32 {
        self.versions.get(revision).map_or(0, |v| v.ready)
    }
}
