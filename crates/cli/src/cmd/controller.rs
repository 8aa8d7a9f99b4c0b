//! `serin controller`: run the Kubernetes controller for Rollouts.

use std::process::ExitCode;

/// Arguments of `serin controller`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs the controller until SIGTERM.
pub fn run(_args: &Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("serin controller: not built yet")
}
