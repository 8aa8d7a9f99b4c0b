//! `serin up -f serin.yaml`: validates the file exactly as `serin lint`
//! does (printing the same lines, to stderr) and starts nothing when it is
//! invalid; otherwise runs the one-host daemon until SIGTERM or Ctrl-C.
//! `--notifications FILE` delivers the rollouts' events to webhooks and
//! Slack (docs/notifications.md); an invalid file starts nothing either.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use serin_api::document::Document;
use serin_local::daemon::{self, DaemonConfig};
use serin_local::supervisor::Options;

use super::lint;

/// Arguments of `serin up`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files holding the Rollouts (with `spec.local`) and AnalysisTemplates.
    #[arg(short = 'f', long = "filename", value_name = "FILE", required = true, num_args = 1..)]
    files: Vec<PathBuf>,
    /// Where the store and the admin token live.
    #[arg(long, env = "SERIN_STATE_DIR", default_value = ".serin")]
    state_dir: PathBuf,
    /// The admin API's address (port 0: any free port; the bound address is
    /// written to `<state-dir>/admin-addr`).
    #[arg(long = "admin-listen", env = "SERIN_ADMIN_LISTEN", default_value = daemon::DEFAULT_ADMIN)]
    admin_listen: SocketAddr,
    /// Directory of the replicas' stdout and stderr files (default `<state-dir>/logs`).
    #[arg(long)]
    log_dir: Option<PathBuf>,
    /// A file with a `notifications:` section: where the rollouts' events
    /// are sent (docs/notifications.md).
    #[arg(long, env = "SERIN_NOTIFICATIONS", value_name = "FILE")]
    notifications: Option<PathBuf>,
}

/// Validates, then runs the daemon.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let (report, documents) = lint::check(&args.files);
    let mut failed = false;
    for (name, _, lines) in &report {
        for line in lines {
            eprintln!("{name}: {line}");
            failed = true;
        }
    }
    let mut config = DaemonConfig {
        state_dir: args.state_dir.clone(),
        admin_listen: args.admin_listen,
        rollouts: Vec::new(),
        templates: Vec::new(),
        cluster_templates: Vec::new(),
        supervisor: Options {
            log_dir: args
                .log_dir
                .clone()
                .unwrap_or_else(|| args.state_dir.join("logs")),
            ..Options::default()
        },
    };
    for doc in documents {
        match doc {
            Document::Rollout(r) => {
                if r.spec.local.is_none() {
                    let name = r.metadata.name.as_deref().unwrap_or("?");
                    eprintln!("Rollout/{name}: spec.local: serin up runs only local workloads");
                    failed = true;
                }
                config.rollouts.push(r);
            }
            Document::AnalysisTemplate(t) => config.templates.push(t),
            Document::ClusterAnalysisTemplate(t) => config.cluster_templates.push(t),
            Document::AnalysisRun(_) => {}
        }
    }
    let notifications = match &args.notifications {
        None => serin_notify::Config::default(),
        Some(file) => serin_notify::Config::from_file(file).unwrap_or_else(|e| {
            match e {
                serin_notify::ConfigError::Read { .. } => eprintln!("{e}"),
                _ => eprintln!("{}: {e}", file.display()),
            }
            failed = true;
            serin_notify::Config::default()
        }),
    };
    if config.rollouts.is_empty() && !failed {
        eprintln!("serin up: the files hold no Rollout");
        failed = true;
    }
    if failed {
        return Ok(ExitCode::FAILURE);
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Runtime::new().context("starting the runtime")?;
    runtime.block_on(daemon::run_notifying(config, notifications, terminated()))?;
    Ok(ExitCode::SUCCESS)
}

/// SIGTERM or Ctrl-C.
async fn terminated() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
