//! The analysis runs of one rollout in the store, as the analysis
//! manager's [`RunStore`]: saved after every measurement, loaded by
//! `AnalysisManager::resume` after a restart.

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

    /// Every run of the rollout, by name, read at once (for the read model;
    /// the analysis manager reads through [`RunStore::load_all`]).
    pub fn read(&self) -> Result<BTreeMap<String, StoredRun>, StoreError> {
        let mut out = BTreeMap::new();
        for (name, bytes) in self.store.load_runs(&self.rollout)? {
            let e: Encoded = serde_json::from_slice(&bytes)
                .map_err(|e| StoreError::Decode(format!("run {name}: {e}")))?;
            out.insert(
                name,
                StoredRun {
                    spec: e.spec,
                    status: e.status,
                },
            );
        }
        Ok(out)
    }
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
        self.read().map_err(backend)
    }
}
