//! Which platform a rollout command talks to, and how it reaches a
//! Kubernetes cluster. [`KubeArgs`] (flattened into the arguments of
//! `promote`, `abort`, `retry`, `undo`, `pause`, `resume`, `status`,
//! `list` and `history`) picks Kubernetes when any of `--kube`,
//! `--kubeconfig`, `--context` or `-n` is given or `SERIN_PLATFORM` says
//! `kubernetes`; otherwise the one-host daemon. [`connect`] loads the
//! client configuration with kube's own loader, as kubectl users expect:
//! `--kubeconfig`, else `KUBECONFIG` (several paths merged), else
//! `~/.kube/config`, else the in-cluster service account; `--context`
//! picks a context; the namespace is `-n`, else the context's, else
//! `default`. It also owns reading one Rollout (with the "not found"
//! message every command prints) and its command-queue annotation.

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use kube::config::{KubeConfigOptions, Kubeconfig};
use serin_api::{CommandRequest, Rollout, Time};

/// The environment variable that selects a platform without flags.
pub const PLATFORM_ENV: &str = "SERIN_PLATFORM";

/// Where the Kubernetes cluster is, for every command that can talk to one.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct KubeArgs {
    /// Talk to Kubernetes (the current kubeconfig context) rather than the one-host daemon.
    #[arg(long)]
    kube: bool,
    /// The kubeconfig file (default: `KUBECONFIG`, else `~/.kube/config`, else in-cluster).
    #[arg(long, value_name = "FILE")]
    kubeconfig: Option<PathBuf>,
    /// The kubeconfig context to use (default: its current context).
    #[arg(long, value_name = "NAME")]
    context: Option<String>,
    /// The namespace (default: the context's, else `default`).
    #[arg(short = 'n', long, value_name = "NAMESPACE")]
    namespace: Option<String>,
}

/// The platform a command acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// The one-host daemon's admin API.
    Local,
    /// The Rollout objects of a Kubernetes cluster.
    Kubernetes,
}

/// A cluster to talk to, and the namespace the command works in.
pub struct Target {
    /// The client, built from the kubeconfig or the in-cluster config.
    pub client: kube::Client,
    /// `-n`, else the context's namespace, else `default`.
    pub namespace: String,
    /// The API server's URL, for messages.
    pub server: String,
}

impl KubeArgs {
    /// `-n` as given (no default): the controller watches every namespace
    /// without it.
    pub fn namespace_flag(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    /// Whether any Kubernetes flag was given.
    fn any_flag(&self) -> bool {
        self.kube || self.kubeconfig.is_some() || self.context.is_some() || self.namespace.is_some()
    }

    /// The platform: Kubernetes when a Kubernetes flag is given, else what
    /// `SERIN_PLATFORM` says (`kubernetes` or `local`), else local.
    ///
    /// # Errors
    /// `SERIN_PLATFORM` names no platform serin knows.
    pub fn platform(&self) -> anyhow::Result<Platform> {
        if self.any_flag() {
            return Ok(Platform::Kubernetes);
        }
        platform_from_env(std::env::var(PLATFORM_ENV).ok().as_deref())
    }
}

/// The platform `SERIN_PLATFORM` names; local when it is unset or empty.
fn platform_from_env(value: Option<&str>) -> anyhow::Result<Platform> {
    match value.map(str::trim).map(str::to_ascii_lowercase).as_deref() {
        None | Some("") | Some("local") => Ok(Platform::Local),
        Some("kubernetes" | "kube" | "k8s") => Ok(Platform::Kubernetes),
        Some(other) => bail!("{PLATFORM_ENV}={other}: expected `kubernetes` or `local`"),
    }
}

/// Builds the client and resolves the namespace, with kube's own
/// configuration loading.
///
/// # Errors
/// No kubeconfig (nor in-cluster config) can be loaded, the context does
/// not exist, or the client cannot be built.
pub async fn connect(args: &KubeArgs) -> anyhow::Result<Target> {
    let options = KubeConfigOptions {
        context: args.context.clone(),
        ..KubeConfigOptions::default()
    };
    let config = match (&args.kubeconfig, &args.context) {
        (Some(path), _) => {
            let file = Kubeconfig::read_from(path)
                .with_context(|| format!("reading kubeconfig {}", path.display()))?;
            kube::Config::from_custom_kubeconfig(file, &options)
                .await
                .with_context(|| format!("loading kubeconfig {}", path.display()))?
        }
        // A context only exists in a kubeconfig: no in-cluster fallback.
        (None, Some(context)) => kube::Config::from_kubeconfig(&options)
            .await
            .with_context(|| format!("loading context {context} from the kubeconfig"))?,
        (None, None) => kube::Config::infer().await.map_err(|e| {
            anyhow::anyhow!("no kubeconfig (KUBECONFIG, ~/.kube/config) and not in a cluster: {e}")
        })?,
    };
    let namespace = args
        .namespace
        .clone()
        .unwrap_or_else(|| config.default_namespace.clone());
    let server = config.cluster_url.to_string();
    let client = kube::Client::try_from(config).context("building the Kubernetes client")?;
    Ok(Target {
        client,
        namespace,
        server,
    })
}

impl Target {
    /// The Rollouts of the target namespace.
    pub fn rollouts(&self) -> kube::Api<Rollout> {
        kube::Api::namespaced(self.client.clone(), &self.namespace)
    }

    /// Reads one Rollout.
    ///
    /// # Errors
    /// `rollout NS/NAME not found`, or the API call failed.
    pub async fn rollout(&self, name: &str) -> anyhow::Result<Rollout> {
        self.rollouts()
            .get_opt(name)
            .await
            .with_context(|| {
                format!(
                    "reading rollout {}/{name} from {}",
                    self.namespace, self.server
                )
            })?
            .ok_or_else(|| self.not_found(name))
    }

    /// The error for a rollout that does not exist.
    pub fn not_found(&self, name: &str) -> anyhow::Error {
        anyhow::anyhow!("rollout {}/{name} not found", self.namespace)
    }
}

/// The commands in a Rollout's queue annotation, handled or not.
///
/// # Errors
/// The annotation is not a JSON array of commands.
pub fn queued_commands(rollout: &Rollout) -> anyhow::Result<Vec<CommandRequest>> {
    Ok(serin_kube::commands::queued(rollout)?)
}

/// The time now, as stored in commands and given to the view.
pub fn now() -> Time {
    serin_kube::commands::now()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serin_platform_names_kubernetes_or_local_and_nothing_else() {
        assert_eq!(platform_from_env(None).ok(), Some(Platform::Local));
        assert_eq!(platform_from_env(Some("")).ok(), Some(Platform::Local));
        assert_eq!(
            platform_from_env(Some("Kubernetes")).ok(),
            Some(Platform::Kubernetes)
        );
        let e = platform_from_env(Some("nomad")).expect_err("unknown");
        assert!(e.to_string().contains("SERIN_PLATFORM=nomad"), "{e}");
    }

    #[test]
    fn any_kubernetes_flag_selects_kubernetes() {
        let args = KubeArgs {
            namespace: Some("shop".into()),
            ..KubeArgs::default()
        };
        assert_eq!(args.platform().ok(), Some(Platform::Kubernetes));
    }
}
