//! `serin install`: print everything the controller needs in a cluster —
//! the CRDs, its ServiceAccount and RBAC, its Deployment and metrics
//! Service — as one multi-document YAML stream for `kubectl apply -f -`.

use std::process::ExitCode;

/// Arguments of `serin install`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Prints the manifests.
pub fn run(_args: &Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("serin install: not built yet")
}
