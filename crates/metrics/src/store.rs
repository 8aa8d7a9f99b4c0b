//! [`RunStore`]: where a run's spec and status are kept after every
//! measurement, so that a restarted runner resumes it (the embedded store on
//! one host, the AnalysisRun resource on Kubernetes); and [`MemoryStore`].

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Mutex;

use serin_api::analysis::{AnalysisRunSpec, AnalysisRunStatus};
use thiserror::Error;

/// The store could not read or write (its own fault, or its backend's).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StoreError {
    /// The backend failed; the message says how.
    #[error("run store: {0}")]
    Backend(String),
}

/// A run as stored: what it measures and how far it got. A webhook call's
/// final outcome is stored as a run without metrics.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StoredRun {
    /// The run's spec (templates merged, arguments resolved).
    pub spec: AnalysisRunSpec,
    /// Its status.
    pub status: AnalysisRunStatus,
}

/// Keeps analysis runs across restarts.
pub trait RunStore: Send + Sync {
    /// Writes run `name` (replacing what was there).
    fn save(
        &self,
        name: &str,
        run: &StoredRun,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Every run stored, by name.
    fn load_all(
        &self,
    ) -> impl Future<Output = Result<BTreeMap<String, StoredRun>, StoreError>> + Send;

    /// Removes run `name`; a run not there is not an error.
    fn delete(&self, name: &str) -> impl Future<Output = Result<(), StoreError>> + Send;
}

impl<T: RunStore> RunStore for std::sync::Arc<T> {
    fn save(
        &self,
        name: &str,
        run: &StoredRun,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        (**self).save(name, run)
    }

    fn load_all(
        &self,
    ) -> impl Future<Output = Result<BTreeMap<String, StoredRun>, StoreError>> + Send {
        (**self).load_all()
    }

    fn delete(&self, name: &str) -> impl Future<Output = Result<(), StoreError>> + Send {
        (**self).delete(name)
    }
}

/// A [`RunStore`] in memory: for tests, and a daemon that keeps nothing.
#[derive(Debug, Default)]
pub struct MemoryStore {
    runs: Mutex<BTreeMap<String, StoredRun>>,
    saves: Mutex<u64>,
}

impl MemoryStore {
    /// Run `name` as last saved.
    pub fn get(&self, name: &str) -> Option<StoredRun> {
        self.runs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .cloned()
    }

    /// How many times anything was saved.
    pub fn saves(&self) -> u64 {
        *self.saves.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl RunStore for MemoryStore {
    async fn save(&self, name: &str, run: &StoredRun) -> Result<(), StoreError> {
        self.runs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.to_string(), run.clone());
        *self.saves.lock().unwrap_or_else(|p| p.into_inner()) += 1;
        Ok(())
    }

    async fn load_all(&self) -> Result<BTreeMap<String, StoredRun>, StoreError> {
        Ok(self.runs.lock().unwrap_or_else(|p| p.into_inner()).clone())
    }

    async fn delete(&self, name: &str) -> Result<(), StoreError> {
        self.runs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(name);
        Ok(())
    }
}
