//! What every reconcile shares: the client, the configuration, the clock,
//! the watch caches, the event recorder, and one analysis manager per
//! rollout (made on first use, resuming the rollout's AnalysisRuns).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kube::runtime::events::Recorder;
use kube::runtime::reflector::Store;
use kube::{Api, Resource, ResourceExt};
use serin_api::status::RolloutPhase;
use serin_api::{AnalysisTemplate, ClusterAnalysisTemplate, Rollout};
use serin_metrics::webhook::WebhookOptions;
use serin_metrics::{AnalysisManager, Providers};

use crate::clock::Clock;
use crate::error::ControllerError;
use crate::index::ReplicaSetIndex;
use crate::runs::{ClusterTemplates, KubeRunStore};

/// How the controller runs.
#[derive(Clone, Debug)]
pub struct Config {
    /// Watch only this namespace (namespaced mode); all when `None`.
    pub namespace: Option<String>,
    /// Look at every rollout at least this often.
    pub resync: Duration,
    /// Look again this soon while a version has replicas not ready (its
    /// pods are read for crash loops), or an analysis is running.
    pub busy_poll: Duration,
    /// Rollouts reconciled at once.
    pub concurrency: u16,
    /// How webhooks are polled and retried.
    pub webhook: WebhookOptions,
    /// This controller's name in Events (`reportingInstance`).
    pub instance: String,
    /// Where each Event is also sent as a notification (queued, never
    /// awaited), if anywhere.
    pub notifier: Option<Arc<dyn serin_notify::EventNotifier>>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            namespace: None,
            resync: Duration::from_secs(300),
            busy_poll: Duration::from_secs(5),
            concurrency: 16,
            webhook: WebhookOptions::default(),
            instance: "serin-controller".to_owned(),
            notifier: None,
        }
    }
}

/// Where the controller reports what it sees (implemented by its metrics).
pub trait Report: Send + Sync {
    /// A rollout's phase and canary weight after a pass.
    fn rollout(&self, namespace: &str, name: &str, phase: Option<RolloutPhase>, weight: i32);
    /// A rollout is gone.
    fn forget(&self, namespace: &str, name: &str);
    /// A pass took this long.
    fn reconciled(&self, took: Duration);
    /// A pass failed, for this kind of reason.
    fn error(&self, kind: &'static str);
}

/// One rollout's analysis manager.
pub type Manager = AnalysisManager<KubeRunStore>;

/// Shared by every reconcile.
pub struct Shared {
    /// The client.
    pub client: kube::Client,
    /// The configuration.
    pub config: Config,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// Every ReplicaSet carrying serin's rollout label, by rollout.
    pub replica_sets: ReplicaSetIndex,
    /// AnalysisTemplates.
    pub templates: Store<AnalysisTemplate>,
    /// ClusterAnalysisTemplates (`None` in namespaced mode).
    pub cluster_templates: Option<Store<ClusterAnalysisTemplate>>,
    /// Events.
    pub recorder: Recorder,
    /// The HTTP client of metric providers and webhooks.
    pub http: reqwest::Client,
    /// Where what the controller sees is reported (its `/metrics`).
    pub report: Option<Arc<dyn Report>>,
    managers: Mutex<HashMap<String, Arc<Manager>>>,
}

impl Shared {
    /// Everything a reconcile needs.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        client: kube::Client,
        config: Config,
        clock: Arc<dyn Clock>,
        replica_sets: ReplicaSetIndex,
        templates: Store<AnalysisTemplate>,
        cluster_templates: Option<Store<ClusterAnalysisTemplate>>,
        recorder: Recorder,
        http: reqwest::Client,
        report: Option<Arc<dyn Report>>,
    ) -> Self {
        Self {
            client,
            config,
            clock,
            replica_sets,
            templates,
            cluster_templates,
            recorder,
            http,
            report,
            managers: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Manager>>> {
        self.managers.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The analysis manager of `rollout` if one was made.
    pub fn existing_manager(&self, rollout: &Rollout) -> Option<Arc<Manager>> {
        let key = rollout.uid().unwrap_or_else(|| rollout.name_any());
        self.lock().get(&key).cloned()
    }

    /// The analysis manager of `rollout`, made (and its runs resumed from
    /// their objects) on first use.
    pub async fn manager(&self, rollout: &Rollout) -> Result<Arc<Manager>, ControllerError> {
        let key = rollout.uid().unwrap_or_else(|| rollout.name_any());
        if let Some(m) = self.lock().get(&key) {
            return Ok(m.clone());
        }
        let ns = rollout.namespace().unwrap_or_else(|| "default".to_owned());
        let owner = rollout
            .controller_owner_ref(&())
            .ok_or_else(|| ControllerError::Spec("the rollout has no uid yet".to_owned()))?;
        let store = KubeRunStore::new(
            Api::namespaced(self.client.clone(), &ns),
            rollout.name_any(),
            owner,
        );
        let templates =
            ClusterTemplates::new(ns, self.templates.clone(), self.cluster_templates.clone());
        let manager = Arc::new(AnalysisManager::new(
            Providers::new(self.http.clone()),
            self.http.clone(),
            store,
            Arc::new(templates),
            self.config.webhook,
        ));
        manager.resume().await?;
        let mut managers = self.lock();
        Ok(managers.entry(key).or_insert(manager).clone())
    }

    /// Forgets a deleted rollout's manager, stopping its runs.
    pub fn forget(&self, rollout: &Rollout) {
        let key = rollout.uid().unwrap_or_else(|| rollout.name_any());
        if let Some(m) = self.lock().remove(&key) {
            m.shutdown();
        }
    }

    /// Stops every manager's tasks (shutdown), keeping their saved runs.
    pub fn shutdown(&self) {
        for m in self.lock().values() {
            m.shutdown();
        }
    }
}
