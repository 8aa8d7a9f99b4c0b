//! The analysis runs of one rollout in the store, as the analysis
//! manager's [`RunStore`]: saved after every measurement, loaded by
//! `AnalysisManager::resume` after a restart, deleted when the engine's
//! history limits say so.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serin_api::analysis::{AnalysisRunSpec, AnalysisRunStatus};
use serin_metrics::{RunStore, StoreError as RunStoreError, StoredRun};

use super::{Store, StoreError};

/// One rollout's runs in the store.
#[derive(Clone, Debug)]
pub struct RolloutRuns {
    store: Store,
    rollout: String,
}

/// A run as encoded in the store.
#[derive(Serialize, Deserialize)]
struct Encoded {
    spec: AnalysisRunSpec,
    status: AnalysisRunStatus,
}

impl RolloutRuns {
    pub(super) fn new(store: Store, rollout: &str) -> Self {
        Self {
            store,
            rollout: rollout.to_owned(),
        }
    }

    /// Every run of the rollout, by name, read at once (what the analysis
    /// manager's [`RunStore::load_all`] answers).
    fn read_all(&self) -> Result<BTreeMap<String, StoredRun>, StoreError> {
        self.store
            .load_runs(&self.rollout)?
            .into_iter()
            .map(|(name, bytes)| Ok((name.clone(), decode(&name, &bytes)?)))
            .collect()
    }

    /// The runs named `names` that are stored (for the read model, which
    /// shows the runs of the current release only).
    pub fn read_named<'a>(
        &self,
        names: impl IntoIterator<Item = &'a str>,
    ) -> Result<BTreeMap<String, StoredRun>, StoreError> {
        let mut out = BTreeMap::new();
        for name in names {
            if let Some(bytes) = self.store.load_run(&self.rollout, name)? {
                out.insert(name.to_owned(), decode(name, &bytes)?);
            }
        }
        Ok(out)
    }
}

fn decode(name: &str, bytes: &[u8]) -> Result<StoredRun, StoreError> {
    let e: Encoded = serde_json::from_slice(bytes)
        .map_err(|e| StoreError::Decode(format!("run {name}: {e}")))?;
    Ok(StoredRun {
        spec: e.spec,
        status: e.status,
    })
}

fn backend(e: impl std::fmt::Display) -> RunStoreError {
    RunStoreError::Backend(e.to_string())
}

impl RunStore for RolloutRuns {
    async fn save(&self, name: &str, run: &StoredRun) -> Result<(), RunStoreError> {
        let bytes = serde_json::to_vec(&Encoded {
            spec: run.spec.clone(),
            status: run.status.clone(),
        })
        .map_err(backend)?;
        self.store
            .save_run(&self.rollout, name, &bytes)
            .map_err(backend)
    }

    async fn load_all(&self) -> Result<BTreeMap<String, StoredRun>, RunStoreError> {
        self.read_all().map_err(backend)
    }

    async fn delete(&self, name: &str) -> Result<(), RunStoreError> {
        self.store.delete_run(&self.rollout, name).map_err(backend)
    }
}
