//! What the store keeps per rollout.

use serde::{Deserialize, Serialize};
use serin_api::{CommandRequest, RolloutSpec, RolloutStatus};

use crate::supervisor::ReplicaRecord;

/// One rollout as stored.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RolloutRecord {
    /// The spec from the last `serin up`.
    pub spec: RolloutSpec,
    /// The version the rollout asks for (`Observed::desired_revision`).
    pub desired_revision: String,
    /// `spec.local.version` as last read from the file: when the file
    /// names another version, that version is released.
    #[serde(default)]
    pub file_version: String,
    /// The status the engine last wrote.
    #[serde(default)]
    pub status: RolloutStatus,
    /// Every replica process, to adopt after a restart.
    #[serde(default)]
    pub replicas: Vec<ReplicaRecord>,
    /// Commands not handled yet, in id order.
    #[serde(default)]
    pub commands: Vec<CommandRequest>,
    /// The id of the last command queued.
    #[serde(default)]
    pub next_command_id: i64,
    /// The sequence number of the last history entry.
    #[serde(default)]
    pub history_seq: u64,
}

impl RolloutRecord {
    /// A new rollout asking for `version`.
    pub fn new(spec: RolloutSpec, version: String) -> Self {
        Self {
            spec,
            desired_revision: version.clone(),
            file_version: version,
            status: RolloutStatus::default(),
            replicas: Vec::new(),
            commands: Vec::new(),
            next_command_id: 0,
            history_seq: 0,
        }
    }
}
