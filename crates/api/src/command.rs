//! The commands a person (or a tool) gives a rollout: promote, abort, retry,
//! undo, pause, resume. Each carries an increasing id so that the engine
//! handles it exactly once, and who gave it, for the history.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Time;

/// A command to a rollout.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(tag = "command", rename_all = "camelCase")]
pub enum Command {
    /// Skip the current step or gate (a pause, an analysis, an inconclusive verdict).
    Promote,
    /// Skip every remaining step and analysis and promote now.
    PromoteFull,
    /// Send all traffic to stable and stop the release.
    Abort,
    /// Start an aborted release again from its first step.
    Retry,
    /// Release an earlier revision (the previous one by default).
    #[serde(rename_all = "camelCase")]
    Undo {
        /// The revision number to return to.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to_revision: Option<i64>,
    },
    /// Stop advancing until resumed.
    Pause,
    /// Advance again after `pause`.
    Resume,
}

impl Command {
    /// The command as typed on the command line.
    pub fn verb(&self) -> &'static str {
        match self {
            Self::Promote => "promote",
            Self::PromoteFull => "promote --full",
            Self::Abort => "abort",
            Self::Retry => "retry",
            Self::Undo { .. } => "undo",
            Self::Pause => "pause",
            Self::Resume => "resume",
        }
    }
}

/// A command with its id, its author and when it was given.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CommandRequest {
    /// Increasing per rollout; a command at or below `status.lastCommandId` was handled.
    pub id: i64,
    /// The command.
    #[serde(flatten)]
    pub command: Command,
    /// Who gave it.
    #[serde(default)]
    pub by: String,
    /// When it was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Time>,
}
