//! The history of a rollout: versions asked for (and by whom), commands
//! (and by whom), actions refused (and whose), revisions as numbered for `undo --to-revision`, analysis
//! verdicts with their messages (the measured numbers), and the engine's
//! events (releases, steps completed, aborts, promotions), each numbered and
//! timed.

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
    /// An action was refused before it reached the rollout (the
    /// dashboard's: a missing or wrong token, or a read-only dashboard).
    Refused {
        /// As typed (`abort`, `promote --full`).
        command: String,
        /// Who asked.
        by: String,
        /// Why it was refused.
        reason: String,
    },
    /// A revision was numbered (for `undo --to-revision`).
    Revision {
        /// Its number.
        number: i64,
        /// The version.
        revision: String,
    },
    /// An analysis run (or webhook call) reached its verdict.
    Verdict {
        /// The run's name.
        run: String,
        /// Why it ran (`step`, `background`, `prePromotion`...).
        kind: String,
        /// `Successful`, `Failed`, `Error` or `Inconclusive`.
        phase: String,
        /// The runner's message (the values measured, the judge's evidence).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
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
            HistoryKind::Refused {
                command,
                by,
                reason,
            } => format!("refused {command} by {by}: {reason}"),
            HistoryKind::Revision { number, revision } => {
                format!("revision {number} is {revision}")
            }
            HistoryKind::Verdict {
                run,
                kind,
                phase,
                message,
            } => {
                let why = message
                    .as_deref()
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default();
                format!("analysis {run} ({kind}) {phase}{why}")
            }
            HistoryKind::Event { reason, message } => format!("{reason:?}: {message}"),
        };
        format!("#{:<4} {}  {what}", self.seq, self.at)
    }
}
