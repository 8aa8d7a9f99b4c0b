//! `serin install`: print everything the controller needs in a cluster —
//! the Namespace, the CRDs, its ServiceAccount and RBAC, its Deployment and
//! metrics Service — as one multi-document YAML stream for
//! `kubectl apply -f -`. What is printed is `serin_kube::install::manifests`.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use serin_kube::install::{self, InstallOptions};

/// Arguments of `serin install`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The controller's own namespace (created).
    #[arg(long, default_value = install::DEFAULT_NAMESPACE)]
    namespace: String,
    /// Watch only this namespace: a Role and RoleBinding there instead of a
    /// ClusterRole and ClusterRoleBinding.
    #[arg(long, value_name = "NS")]
    namespaced: Option<String>,
    /// The controller's image [default: ghcr.io/serin-dev/serin:<this version>].
    #[arg(long)]
    image: Option<String>,
    /// Run a single controller without leader election (replicas must be 1).
    #[arg(long)]
    no_leader_elect: bool,
    /// How many controller replicas (more than one stand by for the leader).
    #[arg(long, default_value_t = 1)]
    replicas: u32,
}

impl Args {
    fn options(&self) -> InstallOptions {
        InstallOptions {
            namespace: self.namespace.clone(),
            image: self.image.clone().unwrap_or_else(install::default_image),
            namespaced: self.namespaced.clone(),
            leader_election: !self.no_leader_elect,
            replicas: self.replicas,
        }
    }
}

/// Prints the manifests.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let objects = install::manifests(&args.options()).context("serin install")?;
    let mut text = String::new();
    for object in &objects {
        let yaml = serde_saphyr::to_string(object).context("writing a manifest as YAML")?;
        text.push_str("---\n");
        text.push_str(yaml.trim_end());
        text.push('\n');
    }
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .context("writing the manifests to stdout")?;
    Ok(ExitCode::SUCCESS)
}
