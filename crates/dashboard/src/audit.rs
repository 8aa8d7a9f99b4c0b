//! The dashboard's own log of actions: every action asked for, given,
//! refused (wrong or missing token, read-only) or failed, with who asked
//! and when. Bounded, in memory, also written to the tracing log.

use std::collections::VecDeque;

use serde::Serialize;

/// What became of an action.
#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    /// Given to the rollout (and recorded in its history by the source).
    Given,
    /// Refused: no bearer token or a wrong one.
    Unauthorized,
    /// Refused: the dashboard is read-only.
    ReadOnly,
    /// The source could not carry it out.
    Failed,
}

/// One action.
#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// When, in milliseconds since the Unix epoch.
    pub at: u64,
    /// The rollout.
    pub rollout: String,
    /// The command as typed on the command line (`promote --full`).
    pub command: String,
    /// Who the browser said it was.
    pub by: String,
    /// What became of it.
    pub outcome: Outcome,
    /// Why it was refused or failed (and, for a refusal, why it could not
    /// reach the rollout's history, when it could not).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The last actions, at most `capacity`.
#[derive(Debug)]
pub struct AuditLog {
    capacity: usize,
    entries: VecDeque<Entry>,
}

impl AuditLog {
    /// Empty.
    pub fn new(capacity: usize) -> AuditLog {
        AuditLog {
            capacity: capacity.max(1),
            entries: VecDeque::new(),
        }
    }

    /// Records `entry` (and logs it).
    pub fn record(&mut self, entry: Entry) {
        match entry.outcome {
            Outcome::Given => tracing::info!(
                rollout = %entry.rollout, command = %entry.command, by = %entry.by,
                "dashboard action given"
            ),
            outcome => tracing::warn!(
                rollout = %entry.rollout, command = %entry.command, by = %entry.by,
                ?outcome, error = entry.error.as_deref().unwrap_or(""),
                "dashboard action not given"
            ),
        }
        while self.entries.len() >= self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
    }

    /// Every entry kept, oldest first.
    pub fn entries(&self) -> Vec<Entry> {
        self.entries.iter().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::{AuditLog, Entry, Outcome};

    fn entry(n: u64) -> Entry {
        Entry {
            at: n,
            rollout: "web".into(),
            command: "abort".into(),
            by: "alice".into(),
            outcome: Outcome::Unauthorized,
            error: None,
        }
    }

    #[test]
    fn the_log_keeps_only_the_latest_actions() {
        let mut log = AuditLog::new(2);
        for n in 0..4 {
            log.record(entry(n));
        }
        let at: Vec<u64> = log.entries().iter().map(|e| e.at).collect();
        assert_eq!(at, vec![2, 3]);
    }
}
