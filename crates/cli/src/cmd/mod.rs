//! The subcommands, one module each. A subcommand is a clap `Args` struct and
//! a `run` function returning the process exit code; to add one, add a
//! module, a variant of [`Command`] and an arm of [`run`].

use std::process::ExitCode;

use clap::Subcommand;

mod crd;
mod demo_app;
mod lint;

/// Every subcommand.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate specs (Rollouts, AnalysisTemplates...) with precise error paths.
    Lint(lint::Args),
    /// Print the CustomResourceDefinitions generated from the Rust types.
    Crd(crd::Args),
    /// Run the reference service (probes, version, metrics, fault injection).
    #[command(disable_version_flag = true)]
    DemoApp(demo_app::Args),
}

/// Runs `command`; `Ok` carries the exit code (a lint failure is not an
/// error of serin's), `Err` is a failure to do the work at all.
pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Lint(args) => lint::run(&args),
        Command::Crd(args) => crd::run(&args),
        Command::DemoApp(args) => demo_app::run(&args),
    }
}
