//! The history of a rollout: versions asked for (and by whom), commands
//! (and by whom), and the engine's events (releases, steps completed,
//! analysis verdicts, aborts, promotions), each numbered and timed.

use serde::{Deserialize, Serialize};
use serin_api::Time;
use serin_engine::EventReason;

/// One history entry.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    /// Increasing per rollout, from 1.
    pub seq: u64,
    /// When it happened.
    pub at: Time,
    /// What happened.
    #[serde(flatten)]
    pub kind: HistoryKind,
}

/// What a history entry records.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum HistoryKind {
    /// A version was asked for (`serin set version`, the file, or undo).
    Version {
        /// The version.
        version: String,
        /// Who asked.
        by: String,
    },
    /// A command was given.
    Command {
        /// Its id.
        id: i64,
        /// As typed (`promote --full`).
        command: String,
        /// Who gave it.
        by: String,
    },
    /// The engine reported an event.
    Event {
        /// Why.
        reason: EventReason,
        /// Details (step numbers, verdicts, who).
        message: String,
    },
}

impl HistoryEntry {
    /// One line for a person: `#3 2026-…Z  command promote (#2) by alice`.
    pub fn line(&self) -> String {
        let what = match &self.kind {
            HistoryKind::Version { version, by } => format!("version {version} asked by {by}"),
            HistoryKind::Command { id, command, by } => {
                format!("command {command} (#{id}) by {by}")
            }
            HistoryKind::Event { reason, message } => format!("{reason:?}: {message}"),
        };
        format!("#{:<4} {}  {what}", self.seq, self.at)
    }
}
