//! The embedded store of the one-host daemon (redb, one file under the state
//! directory): per rollout, its spec, desired revision, status, the replica
//! records needed to adopt its processes after a restart, the commands given
//! (with increasing ids), its history (refused actions included), and its
//! analysis runs. Every planning pass writes its status, replicas and
//! history entries in one transaction, so a daemon killed at any moment
//! finds the state of the last whole pass.

mod error;
mod history;
mod record;
mod refusals;
mod runs;

use std::path::Path;
use std::sync::Arc;

use redb::{Database, ReadableTable, TableDefinition};
use serin_api::{Command, CommandRequest, RolloutSpec, RolloutStatus, Time};

pub use error::StoreError;
pub use history::{HistoryEntry, HistoryKind};
pub use record::RolloutRecord;
pub use runs::RolloutRuns;

use crate::supervisor::ReplicaRecord;

/// Rollout name → JSON [`RolloutRecord`].
const ROLLOUTS: TableDefinition<&str, &[u8]> = TableDefinition::new("rollouts");
/// (rollout, sequence) → JSON [`HistoryEntry`].
const HISTORY: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("history");
/// (rollout, run name) → JSON stored analysis run.
const RUNS: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("runs");

/// The file name of the database inside the state directory.
pub const DB_FILE: &str = "serin.redb";

/// The daemon's store. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    db: Arc<Database>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Store")
    }
}

fn json<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|e| StoreError::Encode(e.to_string()))
}

fn parse<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Decode(e.to_string()))
}

impl Store {
    /// Opens (or creates) the store in `state_dir`.
    pub fn open(state_dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(state_dir).map_err(|e| StoreError::Io(e.to_string()))?;
        let db = Database::create(state_dir.join(DB_FILE)).map_err(StoreError::db)?;
        let txn = db.begin_write().map_err(StoreError::db)?;
        {
            txn.open_table(ROLLOUTS).map_err(StoreError::db)?;
            txn.open_table(HISTORY).map_err(StoreError::db)?;
            txn.open_table(RUNS).map_err(StoreError::db)?;
        }
        txn.commit().map_err(StoreError::db)?;
        Ok(Self { db: Arc::new(db) })
    }

    /// One rollout's record, `None` when it was never stored.
    pub fn load(&self, name: &str) -> Result<Option<RolloutRecord>, StoreError> {
        let txn = self.db.begin_read().map_err(StoreError::db)?;
        let table = txn.open_table(ROLLOUTS).map_err(StoreError::db)?;
        match table.get(name).map_err(StoreError::db)? {
            Some(v) => Ok(Some(parse(v.value())?)),
            None => Ok(None),
        }
    }

    /// The names of every stored rollout.
    pub fn names(&self) -> Result<Vec<String>, StoreError> {
        let txn = self.db.begin_read().map_err(StoreError::db)?;
        let table = txn.open_table(ROLLOUTS).map_err(StoreError::db)?;
        let mut names = Vec::new();
        for row in table.iter().map_err(StoreError::db)? {
            let (k, _) = row.map_err(StoreError::db)?;
            names.push(k.value().to_owned());
        }
        Ok(names)
    }

    /// Changes one rollout's record in a transaction, appending `history`
    /// entries in the same one. `change` sees `None` for a new rollout and
    /// returns the record to write (or `None` to write nothing) and a value.
    fn update<T>(
        &self,
        name: &str,
        change: impl FnOnce(Option<RolloutRecord>) -> Result<(Option<RolloutRecord>, T), StoreError>,
        history: impl FnOnce(&T) -> Vec<(Time, HistoryKind)>,
    ) -> Result<T, StoreError> {
        let txn = self.db.begin_write().map_err(StoreError::db)?;
        let out;
        {
            let mut table = txn.open_table(ROLLOUTS).map_err(StoreError::db)?;
            let current = match table.get(name).map_err(StoreError::db)? {
                Some(v) => Some(parse::<RolloutRecord>(v.value())?),
                None => None,
            };
            let (next, value) = change(current)?;
            let entries = history(&value);
            if let Some(mut record) = next {
                if !entries.is_empty() {
                    let mut hist = txn.open_table(HISTORY).map_err(StoreError::db)?;
                    for (at, kind) in entries {
                        record.history_seq += 1;
                        let entry = HistoryEntry {
                            seq: record.history_seq,
                            at,
                            kind,
                        };
                        hist.insert((name, entry.seq), json(&entry)?.as_slice())
                            .map_err(StoreError::db)?;
                    }
                }
                table
                    .insert(name, json(&record)?.as_slice())
                    .map_err(StoreError::db)?;
            }
            out = value;
        }
        txn.commit().map_err(StoreError::db)?;
        Ok(out)
    }

    /// Records a rollout read from the file at start: a new one asks for
    /// `spec.local.version`; a known one keeps its desired revision, status
    /// and replicas, and takes the new spec; when the file now names another
    /// version than last time, that version is asked for. Returns the record.
    pub fn register(
        &self,
        name: &str,
        spec: &RolloutSpec,
        now: Time,
    ) -> Result<RolloutRecord, StoreError> {
        let first = spec
            .local
            .as_ref()
            .map(|l| l.version.clone())
            .unwrap_or_default();
        self.update(
            name,
            |current| {
                let (record, new) = match current {
                    Some(mut r) => {
                        r.spec = spec.clone();
                        let new = r.file_version != first;
                        if new {
                            r.file_version = first.clone();
                            r.desired_revision = first.clone();
                        }
                        (r, new)
                    }
                    None => (RolloutRecord::new(spec.clone(), first.clone()), true),
                };
                Ok((Some(record.clone()), (record, new)))
            },
            |(record, new)| {
                if *new {
                    vec![(
                        now,
                        HistoryKind::Version {
                            version: record.desired_revision.clone(),
                            by: "serin.yaml".to_owned(),
                        },
                    )]
                } else {
                    Vec::new()
                }
            },
        )
        .map(|(record, _)| record)
    }

    /// Makes the rollout ask for `version` (`serin set version`, or the
    /// engine's undo). Returns false when the rollout is unknown.
    pub fn set_desired(
        &self,
        name: &str,
        version: &str,
        by: &str,
        now: Time,
    ) -> Result<bool, StoreError> {
        self.update(
            name,
            |current| match current {
                Some(mut r) => {
                    let changed = r.desired_revision != version;
                    r.desired_revision = version.to_owned();
                    Ok((Some(r), Some(changed)))
                }
                None => Ok((None, None)),
            },
            |changed| match changed {
                Some(true) => vec![(
                    now,
                    HistoryKind::Version {
                        version: version.to_owned(),
                        by: by.to_owned(),
                    },
                )],
                _ => Vec::new(),
            },
        )
        .map(|c| c.is_some())
    }

    /// Queues a command with the next id. Returns the request, `None` when
    /// the rollout is unknown.
    pub fn push_command(
        &self,
        name: &str,
        command: Command,
        by: &str,
        now: Time,
    ) -> Result<Option<CommandRequest>, StoreError> {
        self.update(
            name,
            |current| match current {
                Some(mut r) => {
                    let id = r.next_command_id.max(r.status.last_command_id) + 1;
                    r.next_command_id = id;
                    let request = CommandRequest {
                        id,
                        command,
                        by: by.to_owned(),
                        at: Some(now),
                    };
                    r.commands.push(request.clone());
                    Ok((Some(r), Some(request)))
                }
                None => Ok((None, None)),
            },
            |request| {
                request
                    .iter()
                    .map(|r| {
                        (
                            now,
                            HistoryKind::Command {
                                id: r.id,
                                command: r.command.verb().to_owned(),
                                by: r.by.clone(),
                            },
                        )
                    })
                    .collect()
            },
        )
    }

    /// Writes the outcome of a planning pass: the status, the replicas, and
    /// history entries; commands the status says were handled are dropped.
    pub fn save_pass(
        &self,
        name: &str,
        status: &RolloutStatus,
        replicas: Vec<ReplicaRecord>,
        history: Vec<(Time, HistoryKind)>,
    ) -> Result<(), StoreError> {
        self.update(
            name,
            |current| match current {
                Some(mut r) => {
                    r.status = status.clone();
                    r.replicas = replicas;
                    r.commands.retain(|c| c.id > status.last_command_id);
                    Ok((Some(r), ()))
                }
                None => Err(StoreError::Unknown(name.to_owned())),
            },
            |_| history,
        )
    }

    /// Stores only the replica records (between passes, when a replica
    /// starts or stops), unless they are already stored as they are.
    pub fn save_replicas(
        &self,
        name: &str,
        replicas: Vec<ReplicaRecord>,
    ) -> Result<(), StoreError> {
        self.update(
            name,
            |current| match current {
                Some(mut r) if r.replicas != replicas => {
                    r.replicas = replicas;
                    Ok((Some(r), ()))
                }
                _ => Ok((None, ())),
            },
            |_| Vec::new(),
        )
    }

    /// One rollout's history, oldest first.
    pub fn history(&self, name: &str) -> Result<Vec<HistoryEntry>, StoreError> {
        let txn = self.db.begin_read().map_err(StoreError::db)?;
        let table = txn.open_table(HISTORY).map_err(StoreError::db)?;
        let mut out = Vec::new();
        for row in table
            .range((name, 0)..=(name, u64::MAX))
            .map_err(StoreError::db)?
        {
            let (_, v) = row.map_err(StoreError::db)?;
            out.push(parse(v.value())?);
        }
        Ok(out)
    }

    /// The analysis runs of `rollout`, as a [`serin_metrics::RunStore`].
    pub fn runs(&self, rollout: &str) -> RolloutRuns {
        RolloutRuns::new(self.clone(), rollout)
    }

    fn save_run(&self, rollout: &str, run: &str, bytes: &[u8]) -> Result<(), StoreError> {
        let txn = self.db.begin_write().map_err(StoreError::db)?;
        {
            let mut table = txn.open_table(RUNS).map_err(StoreError::db)?;
            table
                .insert((rollout, run), bytes)
                .map_err(StoreError::db)?;
        }
        txn.commit().map_err(StoreError::db)
    }

    fn delete_run(&self, rollout: &str, run: &str) -> Result<(), StoreError> {
        let txn = self.db.begin_write().map_err(StoreError::db)?;
        {
            let mut table = txn.open_table(RUNS).map_err(StoreError::db)?;
            table.remove((rollout, run)).map_err(StoreError::db)?;
        }
        txn.commit().map_err(StoreError::db)
    }

    fn load_run(&self, rollout: &str, run: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let txn = self.db.begin_read().map_err(StoreError::db)?;
        let table = txn.open_table(RUNS).map_err(StoreError::db)?;
        let found = table.get((rollout, run)).map_err(StoreError::db)?;
        Ok(found.map(|v| v.value().to_vec()))
    }

    fn load_runs(&self, rollout: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let txn = self.db.begin_read().map_err(StoreError::db)?;
        let table = txn.open_table(RUNS).map_err(StoreError::db)?;
        let mut out = Vec::new();
        for row in table.range((rollout, "")..).map_err(StoreError::db)? {
            let (k, v) = row.map_err(StoreError::db)?;
            let (r, name) = k.value();
            if r != rollout {
                break;
            }
            out.push((name.to_owned(), v.value().to_vec()));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests;
