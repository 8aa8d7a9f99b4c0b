//! Everything the daemon runs for one rollout, shared by its control loop
//! and the admin API: the spec, the supervisor, the router, the analysis
//! manager, the per-arm numbers, and the bell that wakes the loop.

use std::sync::Arc;

use serin_api::RolloutSpec;
use serin_engine::measure::ArgSource;
use serin_metrics::AnalysisManager;
use serin_view::{Inputs, RolloutView, RunInput};
use tokio::sync::Notify;

use super::now;
use super::numbers::Numbers;
use super::router::Router;
use crate::store::{RolloutRuns, Store, StoreError};
use crate::supervisor::Supervisor;

/// One rollout in the daemon.
pub struct Runtime {
    /// Its name.
    pub name: String,
    /// Its spec, from the file.
    pub spec: RolloutSpec,
    /// `metadata.labels`, for analysis arguments.
    pub labels: std::collections::BTreeMap<String, String>,
    /// Runs its replicas.
    pub supervisor: Supervisor,
    /// Its routing in the proxy.
    pub router: Arc<Router>,
    /// Runs its analysis and webhook calls.
    pub manager: AnalysisManager<RolloutRuns>,
    /// Per-arm numbers.
    pub numbers: Numbers,
    /// The store.
    pub store: Store,
    /// Rung when a command or a version arrives.
    pub wake: Notify,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime").field("name", &self.name).finish()
    }
}

impl Runtime {
    /// The values analysis arguments and webhooks read.
    pub fn arg_source(&self, stable: Option<String>, latest: &str) -> ArgSource {
        ArgSource {
            name: self.name.clone(),
            namespace: "default".to_owned(),
            labels: self.labels.clone(),
            stable_revision: stable,
            latest_revision: latest.to_owned(),
        }
    }

    /// The read model of this rollout now, with the runs of its status as
    /// stored.
    pub fn view(&self) -> Result<RolloutView, StoreError> {
        let record = self
            .store
            .load(&self.name)?
            .ok_or_else(|| StoreError::Unknown(self.name.clone()))?;
        let traffic = &record.status.traffic;
        let arms = self
            .numbers
            .arms(traffic.stable.as_deref(), traffic.canary.as_deref());
        let names = record.status.analysis.iter().map(|a| a.name.as_str());
        let stored = self.store.runs(&self.name).read_named(names)?;
        let runs = stored
            .iter()
            .map(|(name, run)| RunInput {
                name,
                spec: &run.spec,
                status: &run.status,
            })
            .collect();
        Ok(serin_view::build(Inputs {
            name: &self.name,
            spec: &self.spec,
            status: &record.status,
            desired_revision: &record.desired_revision,
            arms,
            runs,
            now: now(),
        }))
    }
}
