//! The subcommands, one module each. A subcommand is a clap `Args` struct and
//! a `run` function returning the process exit code; to add one, add a
//! module, a variant of [`Command`] and an arm of [`run`]. The commands
//! that talk to a running daemon share [`admin_client`]; those that can act
//! on Kubernetes instead share [`kube_target`].

use std::process::ExitCode;

use clap::Subcommand;

mod admin_client;
mod controller;
mod crd;
mod dashboard;
mod demo;
mod demo_app;
mod history;
mod install;
mod kube_target;
mod lint;
mod list;
mod proxy;
mod set;
mod status;
mod up;
mod verbs;

/// Every subcommand.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate specs (Rollouts, AnalysisTemplates...) with precise error paths.
    Lint(lint::Args),
    /// Print the CustomResourceDefinitions generated from the Rust types.
    Crd(crd::Args),
    /// The whole story on one host: a faulty release rolled back, a healthy one promoted.
    Demo(demo::Args),
    /// Run the reference service (probes, version, metrics, fault injection).
    #[command(disable_version_flag = true)]
    DemoApp(demo_app::Args),
    /// Run the one-host daemon: proxy, supervisor, analysis and control loops.
    Up(up::Args),
    /// Run serin's traffic-splitting proxy alone from a config file.
    Proxy(proxy::Args),
    /// Release a version: `serin set version NAME V`.
    Set(set::Args),
    /// Show a rollout: steps, weights, per-arm numbers, analysis.
    Status(status::Args),
    /// Skip the current step or gate (`--full`: every remaining one).
    Promote(verbs::PromoteArgs),
    /// Send all traffic to stable and stop the release.
    Abort(verbs::Args),
    /// Start an aborted release again from its first step.
    Retry(verbs::Args),
    /// Release an earlier revision (the previous one, or `--to-revision N`).
    Undo(verbs::UndoArgs),
    /// Hold the rollout where it is.
    Pause(verbs::Args),
    /// Go on after `pause`.
    Resume(verbs::Args),
    /// Show a rollout's history: versions, commands (and who), steps, verdicts.
    History(history::Args),
    /// List the rollouts (of the daemon, or of a namespace on Kubernetes).
    List(list::Args),
    /// Serve the web dashboard of a running daemon (127.0.0.1:9901 by default).
    Dashboard(dashboard::Args),
    /// Run the Kubernetes controller for Rollouts.
    Controller(controller::Args),
    /// Print the manifests that install serin in a cluster (CRDs, RBAC, controller).
    Install(install::Args),
}

/// Runs `command`; `Ok` carries the exit code (a lint failure is not an
/// error of serin's), `Err` is a failure to do the work at all.
pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    use serin_api::Command as C;
    match command {
        Command::Lint(args) => lint::run(&args),
        Command::Crd(args) => crd::run(&args),
        Command::Demo(args) => demo::run(&args),
        Command::DemoApp(args) => demo_app::run(&args),
        Command::Up(args) => up::run(&args),
        Command::Proxy(args) => proxy::run(&args),
        Command::Set(args) => set::run(&args),
        Command::Status(args) => status::run(&args),
        Command::Promote(args) => verbs::promote(&args),
        Command::Abort(args) => verbs::send(&args, C::Abort),
        Command::Retry(args) => verbs::send(&args, C::Retry),
        Command::Undo(args) => verbs::undo(&args),
        Command::Pause(args) => verbs::send(&args, C::Pause),
        Command::Resume(args) => verbs::send(&args, C::Resume),
        Command::History(args) => history::run(&args),
        Command::List(args) => list::run(&args),
        Command::Dashboard(args) => dashboard::run(&args),
        Command::Controller(args) => controller::run(&args),
        Command::Install(args) => install::run(&args),
    }
}
