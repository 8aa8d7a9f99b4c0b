//! [`Source`] for a Kubernetes cluster: the Rollout objects of one
//! namespace, or of every namespace (then each view is named
//! `namespace/name`). Views are built from the stored spec and status
//! ([`crate::kube_view`], as `serin status` builds them), the history is
//! the status's revisions and the commands still queued (not the Kubernetes
//! Events), and a command is appended to the Rollout's queue annotation by
//! `serin_kube::commands::give` with who gave it.

use kube::Api;
use kube::api::ListParams;
use serin_api::{Command, Rollout};
use serin_kube::commands::{self, GiveError};
use serin_view::RolloutView;

use crate::kube_view::{history_of, view_of};
use crate::source::{Source, SourceError};

/// Which Rollouts a [`KubeSource`] shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The Rollouts of one namespace, named as they are.
    Namespace(String),
    /// Every namespace's, each named `namespace/name`.
    All,
}

/// The Rollouts of a cluster, through its API server.
#[derive(Clone)]
pub struct KubeSource {
    client: kube::Client,
    scope: Scope,
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
        KubeSource { client, scope }
    }

    /// The API of the Rollouts listed.
    fn listed(&self) -> Api<Rollout> {
        match &self.scope {
            Scope::Namespace(ns) => Api::namespaced(self.client.clone(), ns),
            Scope::All => Api::all(self.client.clone()),
        }
    }

    /// The namespaced API and the Rollout's name for a view's `name`.
    fn one(&self, name: &str) -> Result<(Api<Rollout>, String), SourceError> {
        let (ns, rollout) = match &self.scope {
            Scope::Namespace(ns) => (ns.as_str(), name),
            Scope::All => name
                .split_once('/')
                .ok_or_else(|| SourceError::NotFound(name.to_owned()))?,
        };
        Ok((Api::namespaced(self.client.clone(), ns), rollout.to_owned()))
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
        let (api, rollout) = self.one(name)?;
        api.get_opt(&rollout)
            .await
            .map_err(|e| unreachable(&format!("rollout {name}"), &e))?
            .ok_or_else(|| SourceError::NotFound(name.to_owned()))
    }

    fn view(&self, rollout: &Rollout) -> RolloutView {
        let mut view = view_of(rollout, commands::now());
        view.name = self.name_of(rollout);
        view
    }
}

/// A client error as the dashboard reports it.
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
        Ok(list.items.iter().map(|r| self.view(r)).collect())
    }

    async fn view(&self, name: &str) -> Result<RolloutView, SourceError> {
        let rollout = self.read(name).await?;
        Ok(KubeSource::view(self, &rollout))
    }

    async fn history(&self, name: &str) -> Result<Vec<serde_json::Value>, SourceError> {
        let rollout = self.read(name).await?;
        let queued = commands::queued(&rollout).map_err(|e| SourceError::Decode(e.to_string()))?;
        Ok(history_of(&rollout, &queued))
    }

    async fn command(&self, name: &str, command: Command, by: &str) -> Result<(), SourceError> {
        let (api, rollout) = self.one(name)?;
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
}
