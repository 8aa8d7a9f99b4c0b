//! [`AnalysisManager`]: the analysis side of one rollout's platform. It
//! carries out the engine's `StartAnalysis` (build the run from its
//! templates and arguments, then measure it in a task), `StopAnalysis`
//! (terminate with the verdict so far) and `CallWebhook`, and reports each
//! run's [`RunState`] for `Observed.analysis_runs`. The one-host daemon and
//! the Kubernetes controller both use it; runs are saved through a
//! [`RunStore`] and [`AnalysisManager::resume`] picks them up after a restart.
//! A webhook call's final outcome is saved too, as a run without metrics, so
//! a restarted platform reports it instead of calling again; a call still
//! polling is not saved (the engine asks for it again after a restart).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serin_api::AnalysisPhase;
use serin_api::analysis::{AnalysisRunSpec, AnalysisRunStatus, AnalysisTemplateSpec};
use serin_api::analysis_ref::{AnalysisTemplateRef, RolloutAnalysis};
use serin_api::webhook::{Webhook, WebhookPayload, WebhookType};
use serin_engine::measure::{self, ArgSource};
use serin_engine::{Action, RunState};
use tokio::sync::watch;
use tokio::task::AbortHandle;

use crate::provider::Providers;
use crate::runner::run_analysis;
use crate::store::{RunStore, StoreError, StoredRun};
use crate::webhook::{self, WebhookOptions};

/// Where the templates a rollout names come from (the embedded store, or
/// the cluster's AnalysisTemplates and ClusterAnalysisTemplates).
pub trait TemplateSource: Send + Sync {
    /// The template `r` names, or `None` when there is no such template.
    fn template(&self, r: &AnalysisTemplateRef) -> Option<AnalysisTemplateSpec>;
}

struct Entry {
    state: Arc<Mutex<RunState>>,
    /// `post-rollout` calls are made but not reported as runs.
    reported: bool,
    stop: Option<watch::Sender<bool>>,
    task: Option<AbortHandle>,
}

struct Inner<S> {
    providers: Providers,
    client: reqwest::Client,
    store: S,
    templates: Arc<dyn TemplateSource>,
    options: WebhookOptions,
    runs: Mutex<BTreeMap<String, Entry>>,
}

/// Runs the analysis and webhook calls of one rollout.
pub struct AnalysisManager<S: RunStore + 'static> {
    inner: Arc<Inner<S>>,
}

/// A store that also keeps the manager's view of the run up to date.
struct Reporting<'a, S> {
    store: &'a S,
    state: Arc<Mutex<RunState>>,
}

impl<S: RunStore> RunStore for Reporting<'_, S> {
    async fn save(&self, name: &str, run: &StoredRun) -> Result<(), StoreError> {
        set(&self.state, run_state(&run.status));
        self.store.save(name, run).await
    }

    async fn load_all(&self) -> Result<BTreeMap<String, StoredRun>, StoreError> {
        self.store.load_all().await
    }

    async fn delete(&self, name: &str) -> Result<(), StoreError> {
        self.store.delete(name).await
    }
}

fn run_state(status: &AnalysisRunStatus) -> RunState {
    RunState {
        phase: status.phase,
        message: status.message.clone(),
        completed_at: status.completed_at,
    }
}

fn set(state: &Mutex<RunState>, value: RunState) {
    *state.lock().unwrap_or_else(|p| p.into_inner()) = value;
}

impl<S: RunStore + 'static> AnalysisManager<S> {
    /// A manager measuring with `providers`, calling webhooks with `client`,
    /// saving runs to `store` and reading templates from `templates`.
    pub fn new(
        providers: Providers,
        client: reqwest::Client,
        store: S,
        templates: Arc<dyn TemplateSource>,
        options: WebhookOptions,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                providers,
                client,
                store,
                templates,
                options,
                runs: Mutex::new(BTreeMap::new()),
            }),
        }
    }

    /// The store the runs are saved to.
    pub fn store(&self) -> &S {
        &self.inner.store
    }

    /// Picks up every stored run not known yet: a decided one is reported
    /// as it is, one still running is measured again from where it stopped.
    /// Returns how many runs were picked up.
    pub async fn resume(&self) -> Result<usize, StoreError> {
        let stored = self.inner.store.load_all().await?;
        let mut picked = 0;
        for (name, run) in stored {
            if self.known(&name) {
                continue;
            }
            picked += 1;
            self.spawn_run(name, run);
        }
        Ok(picked)
    }

    /// Carries out the actions that concern analysis (`StartAnalysis`,
    /// `StopAnalysis`, `CallWebhook`) and ignores the others. `rollout`
    /// gives the values `valueFrom` arguments read, and the name and
    /// namespace sent to webhooks. Must be called inside a tokio runtime.
    pub fn execute(&self, actions: &[Action], rollout: &ArgSource) {
        for action in actions {
            match action {
                Action::StartAnalysis { name, analysis, .. } => {
                    self.start(name, analysis, rollout);
                }
                Action::StopAnalysis { name } => self.stop(name),
                Action::CallWebhook {
                    name,
                    webhook,
                    payload,
                } => self.call(name, webhook, payload, rollout),
                _ => {}
            }
        }
    }

    /// Every run's state, by name, for `Observed.analysis_runs`
    /// (`post-rollout` calls are not runs and are left out).
    pub fn run_states(&self) -> BTreeMap<String, RunState> {
        self.inner
            .runs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|(_, e)| e.reported)
            .map(|(name, e)| {
                let state = e.state.lock().unwrap_or_else(|p| p.into_inner()).clone();
                (name.clone(), state)
            })
            .collect()
    }

    /// Deletes finished runs from the store and forgets them (the engine's
    /// `DeleteAnalysisRuns`); a run still running is left alone. A run
    /// already gone from the store is not an error.
    pub async fn delete(&self, names: &[String]) -> Result<(), StoreError> {
        for name in names {
            let running = self
                .inner
                .runs
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(name)
                .is_some_and(|e| {
                    !e.state
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .phase
                        .is_terminal()
                });
            if running {
                continue;
            }
            self.inner.store.delete(name).await?;
            self.inner
                .runs
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(name);
        }
        Ok(())
    }

    /// Stops every task without changing any saved run, so that a new
    /// manager can [`resume`](Self::resume) them (a daemon shutting down).
    pub fn shutdown(&self) {
        let runs = self.inner.runs.lock().unwrap_or_else(|p| p.into_inner());
        for e in runs.values() {
            if let Some(t) = &e.task {
                t.abort();
            }
        }
    }

    fn known(&self, name: &str) -> bool {
        self.inner
            .runs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(name)
    }

    fn start(&self, name: &str, analysis: &RolloutAnalysis, rollout: &ArgSource) {
        if self.known(name) {
            return;
        }
        let mut templates = Vec::new();
        let mut missing = Vec::new();
        for r in &analysis.templates {
            match self.inner.templates.template(r) {
                Some(t) => templates.push(t),
                None => missing.push(r.template_name.clone()),
            }
        }
        let built = if missing.is_empty() {
            measure::build_run_spec(&templates, &analysis.args, rollout).map_err(|e| e.to_string())
        } else {
            Err(format!("no analysis template {}", missing.join(", ")))
        };
        let run = match built {
            Ok(spec) => StoredRun {
                spec,
                status: AnalysisRunStatus::default(),
            },
            Err(why) => {
                let mut status = AnalysisRunStatus::default();
                measure::fail_run(&mut status, format!("cannot start: {why}"));
                StoredRun {
                    status,
                    ..StoredRun::default()
                }
            }
        };
        self.spawn_run(name.to_string(), run);
    }

    fn spawn_run(&self, name: String, run: StoredRun) {
        let state = Arc::new(Mutex::new(run_state(&run.status)));
        let (stop_tx, stop_rx) = watch::channel(false);
        let inner = self.inner.clone();
        let task_state = state.clone();
        let task_name = name.clone();
        let task = tokio::spawn(async move {
            let store = Reporting {
                store: &inner.store,
                state: task_state,
            };
            run_analysis(
                &task_name,
                &run.spec,
                run.status,
                &inner.providers,
                &store,
                stop_rx,
            )
            .await
        });
        let entry = Entry {
            state,
            reported: true,
            stop: Some(stop_tx),
            task: Some(task.abort_handle()),
        };
        self.inner
            .runs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name, entry);
    }

    fn stop(&self, name: &str) {
        let runs = self.inner.runs.lock().unwrap_or_else(|p| p.into_inner());
        let Some(e) = runs.get(name) else {
            return;
        };
        if let Some(stop) = &e.stop {
            // A finished runner has dropped its receiver; nothing to stop then.
            let _ = stop.send(true);
        } else if let Some(task) = &e.task {
            task.abort();
            let mut state = e.state.lock().unwrap_or_else(|p| p.into_inner());
            if !state.phase.is_terminal() {
                let why = state.message.clone().unwrap_or_default();
                *state = RunState {
                    phase: AnalysisPhase::Inconclusive,
                    message: Some(format!("stopped before a 2xx; {why}")),
                    completed_at: Some(crate::runner::now()),
                };
            }
        }
    }

    fn call(&self, name: &str, hook: &Webhook, payload: &WebhookPayload, rollout: &ArgSource) {
        if self.known(name) {
            return;
        }
        let mut payload = payload.clone();
        if payload.name.is_empty() {
            payload.name.clone_from(&rollout.name);
        }
        if payload.namespace.is_empty() {
            payload.namespace.clone_from(&rollout.namespace);
        }
        let state = Arc::new(Mutex::new(RunState {
            phase: AnalysisPhase::Running,
            message: None,
            completed_at: None,
        }));
        let inner = self.inner.clone();
        let task_state = state.clone();
        let hook_owned = hook.clone();
        let task_name = name.to_string();
        let task = tokio::spawn(async move {
            let last = webhook::call(&inner.client, &hook_owned, &payload, inner.options, |s| {
                set(&task_state, s);
            })
            .await;
            let completed_at = Some(crate::runner::now());
            set(
                &task_state,
                RunState {
                    completed_at,
                    ..last.clone()
                },
            );
            if hook_owned.type_ != WebhookType::PostRollout {
                // Kept so that a restarted platform does not call it again.
                let run = StoredRun {
                    spec: AnalysisRunSpec::default(),
                    status: AnalysisRunStatus {
                        phase: last.phase,
                        message: last.message,
                        completed_at,
                        ..AnalysisRunStatus::default()
                    },
                };
                if let Err(e) = inner.store.save(&task_name, &run).await {
                    tracing::warn!(run = task_name, error = %e, "could not save the webhook's outcome");
                }
            }
        });
        let entry = Entry {
            state,
            reported: hook.type_ != WebhookType::PostRollout,
            stop: None,
            task: Some(task.abort_handle()),
        };
        self.inner
            .runs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.to_string(), entry);
    }
}

impl<S: RunStore + 'static> Drop for AnalysisManager<S> {
    fn drop(&mut self) {
        self.shutdown();
    }
}
