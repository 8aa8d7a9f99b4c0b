//! [`Source`] for a Kubernetes cluster: the Rollout objects of one
//! namespace, or of every namespace (then each view is named
//! `namespace/name`). Views are built from the stored spec and status and
//! the AnalysisRuns ([`crate::kube_view`], [`crate::kube_runs`], as `serin
//! status` builds them), with per-version numbers from Prometheus when one
//! is given ([`crate::prometheus`]); the history is the status's
//! revisions, the commands still queued, the actions refused and the
//! controller's Events about the Rollout ([`crate::kube_history`]: one
//! field-selected `list` of Events, at most once every
//! [`EVENTS_EVERY`] per rollout, whatever the number of pages open); a command is
//! appended to the Rollout's queue annotation by
//! `serin_kube::commands::give` with who gave it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use k8s_openapi::api::events::v1::Event;
use kube::api::ListParams;
use kube::{Api, ResourceExt};
use serin_api::{AnalysisRun, Command, Rollout};
use serin_kube::commands::{self, GiveError};
use serin_view::RolloutView;

use crate::kube_history::{self, RolloutEvents};
use crate::kube_runs::{self, Runs};
use crate::kube_view::{Refusal, history_of, view_of};
use crate::prometheus::Prometheus;
use crate::source::{Source, SourceError};
use crate::{kube_events, kube_runs::RunsByRollout};

/// Which Rollouts a [`KubeSource`] shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The Rollouts of one namespace, named as they are.
    Namespace(String),
    /// Every namespace's, each named `namespace/name`.
    All,
}

/// How often at most one rollout's Events are listed for its history; a
/// history asked for sooner shows the Events listed last.
pub const EVENTS_EVERY: Duration = Duration::from_secs(2);

/// The Events last listed per rollout (by its name in the scope), and when.
type EventsCache = Arc<Mutex<HashMap<String, (Instant, RolloutEvents)>>>;

/// The Rollouts of a cluster, through its API server.
#[derive(Clone)]
pub struct KubeSource {
    client: kube::Client,
    scope: Scope,
    prometheus: Option<Arc<Prometheus>>,
    events: EventsCache,
}

impl std::fmt::Debug for KubeSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KubeSource")
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl KubeSource {
    /// The Rollouts `scope` names, read and commanded through `client`.
    pub fn new(client: kube::Client, scope: Scope) -> KubeSource {
        KubeSource {
            client,
            scope,
            prometheus: None,
            events: EventsCache::default(),
        }
    }

    /// Fills each view's per-version numbers from `prometheus`.
    pub fn with_prometheus(self, prometheus: Prometheus) -> KubeSource {
        KubeSource {
            prometheus: Some(Arc::new(prometheus)),
            ..self
        }
    }

    /// The API of the objects of kind `K` listed.
    fn listed<K>(&self) -> Api<K>
    where
        K: kube::Resource<Scope = kube::core::NamespaceResourceScope>,
        K::DynamicType: Default,
    {
        match &self.scope {
            Scope::Namespace(ns) => Api::namespaced(self.client.clone(), ns),
            Scope::All => Api::all(self.client.clone()),
        }
    }

    /// The namespace and the Rollout's name for a view's `name`.
    fn place(&self, name: &str) -> Result<(String, String), SourceError> {
        match &self.scope {
            Scope::Namespace(ns) => Ok((ns.clone(), name.to_owned())),
            Scope::All => name
                .split_once('/')
                .map(|(ns, r)| (ns.to_owned(), r.to_owned()))
                .ok_or_else(|| SourceError::NotFound(name.to_owned())),
        }
    }

    /// The namespaced API of kind `K` and the Rollout's name for a view's `name`.
    fn one<K>(&self, name: &str) -> Result<(Api<K>, String), SourceError>
    where
        K: kube::Resource<Scope = kube::core::NamespaceResourceScope>,
        K::DynamicType: Default,
    {
        let (ns, rollout) = self.place(name)?;
        Ok((Api::namespaced(self.client.clone(), &ns), rollout))
    }

    /// The namespace of the scope (none for every namespace's).
    fn scope_namespace(&self) -> &str {
        match &self.scope {
            Scope::Namespace(ns) => ns,
            Scope::All => "",
        }
    }

    /// The namespace of `rollout` (a listed object may not say it; then
    /// the scope's).
    fn namespace_of(&self, rollout: &Rollout) -> String {
        rollout
            .namespace()
            .unwrap_or_else(|| self.scope_namespace().to_owned())
    }

    /// The name a view of `rollout` takes.
    fn name_of(&self, rollout: &Rollout) -> String {
        let name = rollout.metadata.name.clone().unwrap_or_default();
        match (&self.scope, &rollout.metadata.namespace) {
            (Scope::All, Some(ns)) => format!("{ns}/{name}"),
            _ => name,
        }
    }

    /// Reads the Rollout a view's `name` stands for.
    async fn read(&self, name: &str) -> Result<Rollout, SourceError> {
        let (api, rollout) = self.one::<Rollout>(name)?;
        api.get_opt(&rollout)
            .await
            .map_err(|e| unreachable(&format!("rollout {name}"), &e))?
            .ok_or_else(|| SourceError::NotFound(name.to_owned()))
    }

    /// The view of `rollout` with its `runs`, and per-version numbers
    /// when a Prometheus is given.
    async fn view(&self, rollout: &Rollout, runs: &Runs) -> RolloutView {
        let mut view = view_of(rollout, runs, commands::now());
        if let Some(p) = &self.prometheus {
            let ns = self.namespace_of(rollout);
            view.arms = p.arms(&ns, &rollout.name_any(), &view).await;
        }
        view.name = self.name_of(rollout);
        view
    }

    /// The runs of one rollout, when its status names any.
    async fn runs_of(&self, rollout: &Rollout) -> Result<Runs, SourceError> {
        if !kube_runs::has_analysis(rollout) {
            return Ok(Runs::new());
        }
        let ns = self.namespace_of(rollout);
        let api: Api<AnalysisRun> = Api::namespaced(self.client.clone(), &ns);
        kube_runs::of(&api, rollout)
            .await
            .map_err(|e| unreachable("the analysis runs", &e))
    }
}

/// A client error as the dashboard reports it.
impl KubeSource {
    /// The Events about `rollout` (named `name` in the scope): listed
    /// again only when the last list is [`EVENTS_EVERY`] old.
    async fn events_of(&self, name: &str, rollout: &Rollout) -> Result<RolloutEvents, SourceError> {
        let fresh = |at: &Instant| at.elapsed() < EVENTS_EVERY;
        if let Some((_, cached)) = self.cached(name).filter(|(at, _)| fresh(at)) {
            return Ok(cached);
        }
        let (api, _) = self.one::<Event>(name)?;
        let listed = kube_history::list(&api, rollout)
            .await
            .map_err(|e| unreachable("the rollout's events", &e))?;
        if let Ok(mut cache) = self.events.lock() {
            cache.insert(name.to_owned(), (Instant::now(), listed.clone()));
        }
        Ok(listed)
    }

    fn cached(&self, name: &str) -> Option<(Instant, RolloutEvents)> {
        self.events.lock().ok()?.get(name).cloned()
    }
}

fn unreachable(what: &str, e: &kube::Error) -> SourceError {
    match e {
        kube::Error::Api(status) => SourceError::Refused {
            status: status.code,
            message: status.message.clone(),
        },
        other => SourceError::Unreachable {
            what: what.to_owned(),
            message: other.to_string(),
        },
    }
}

impl Source for KubeSource {
    async fn list(&self) -> Result<Vec<RolloutView>, SourceError> {
        let list = self
            .listed()
            .list(&ListParams::default())
            .await
            .map_err(|e| unreachable("the rollouts", &e))?;
        let runs = if list.items.iter().any(kube_runs::has_analysis) {
            kube_runs::all(&self.listed(), self.scope_namespace())
                .await
                .map_err(|e| unreachable("the analysis runs", &e))?
        } else {
            RunsByRollout::new()
        };
        let none = Runs::new();
        let views = list.items.iter().map(|r| {
            let key = (self.namespace_of(r), r.name_any());
            self.view(r, runs.get(&key).unwrap_or(&none))
        });
        Ok(futures::future::join_all(views).await)
    }

    async fn view(&self, name: &str) -> Result<RolloutView, SourceError> {
        let rollout = self.read(name).await?;
        let runs = self.runs_of(&rollout).await?;
        Ok(KubeSource::view(self, &rollout, &runs).await)
    }

    async fn history(&self, name: &str) -> Result<Vec<serde_json::Value>, SourceError> {
        let rollout = self.read(name).await?;
        let queued = commands::queued(&rollout).map_err(|e| SourceError::Decode(e.to_string()))?;
        let events = self.events_of(name, &rollout).await?;
        Ok(history_of(&rollout, &queued, &events))
    }

    async fn command(&self, name: &str, command: Command, by: &str) -> Result<(), SourceError> {
        let (api, rollout) = self.one::<Rollout>(name)?;
        match commands::give(&api, &rollout, command, by).await {
            Ok(_) => Ok(()),
            Err(GiveError::NotFound(_)) => Err(SourceError::NotFound(name.to_owned())),
            Err(GiveError::Read { source, .. } | GiveError::Write { source, .. }) => {
                Err(unreachable(&format!("rollout {name}"), &source))
            }
            Err(e @ GiveError::Queue(_)) => Err(SourceError::Refused {
                status: 409,
                message: e.to_string(),
            }),
        }
    }

    async fn refused(
        &self,
        name: &str,
        command: &str,
        by: &str,
        reason: &str,
    ) -> Result<(), SourceError> {
        let rollout = self.read(name).await?;
        let (events, _) = self.one::<Event>(name)?;
        let now = commands::now();
        let refusal = Refusal {
            at: Some(now),
            command: command.to_owned(),
            by: by.to_owned(),
            reason: reason.to_owned(),
        };
        kube_events::record(&events, &rollout, &refusal, now)
            .await
            .map_err(|e| unreachable(&format!("events of rollout {name}"), &e))?;
        // The next history lists the Events again, this refusal with them.
        if let Ok(mut cache) = self.events.lock() {
            cache.remove(name);
        }
        Ok(())
    }
}
