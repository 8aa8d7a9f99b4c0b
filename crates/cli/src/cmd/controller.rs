//! `serin controller`: run the Kubernetes controller for Rollouts. It
//! serves `/metrics`, `/healthz` and `/readyz` on `--metrics-addr`, takes
//! part in leader election with a Lease when `--leader-elect` is given
//! (only the leader reconciles; losing the Lease ends the process, so its
//! pod restarts as a candidate), logs as JSON lines with `--log-format
//! json`, and on SIGTERM or Ctrl-C lets the passes under way finish, gives
//! the Lease back and exits 0. `--notifications FILE` also sends every
//! Event to the webhooks and Slack sinks it names (docs/notifications.md).

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use serin_kube::leader::config::LeaderConfig;
use serin_kube::leader::elector::LeaderElector;
use serin_kube::ops::ControllerMetrics;
use serin_kube::{Config, Parts, SystemClock};
use tokio::sync::watch;

use super::kube_target::{KubeArgs, connect};

/// Arguments of `serin controller`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The cluster (`-n` watches that namespace only; every namespace without it).
    #[command(flatten)]
    kube: KubeArgs,
    /// Take part in leader election (a Lease); only the leader reconciles.
    #[arg(long)]
    leader_elect: bool,
    /// The Lease's namespace (default: `POD_NAMESPACE`, else `serin-system`).
    #[arg(long, env = "POD_NAMESPACE", default_value = "serin-system")]
    lease_namespace: String,
    /// The Lease's name.
    #[arg(long, default_value = LeaderConfig::DEFAULT_NAME)]
    lease_name: String,
    /// This candidate's identity (default: `POD_NAME`, else the host name).
    #[arg(long, env = "POD_NAME")]
    identity: Option<String>,
    /// Where `/metrics`, `/healthz` and `/readyz` are served.
    #[arg(long, default_value = "127.0.0.1:8080")]
    metrics_addr: String,
    /// Rollouts reconciled at once.
    #[arg(long, default_value_t = 16)]
    concurrency: u16,
    /// Log format.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// A file with a `notifications:` section: where the rollouts' events
    /// are sent besides Kubernetes Events (docs/notifications.md).
    #[arg(long, env = "SERIN_NOTIFICATIONS", value_name = "FILE")]
    notifications: Option<std::path::PathBuf>,
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    /// For people.
    Text,
    /// One JSON object per line.
    Json,
}

fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,kube_runtime=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

fn identity(args: &Args) -> String {
    args.identity
        .clone()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| format!("serin-controller-{}", std::process::id()))
}

/// SIGTERM or Ctrl-C.
async fn terminated() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(t) => t,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// Runs the controller until SIGTERM.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    init_logs(args.log_format);
    let notifications = match &args.notifications {
        Some(file) => Some(
            serin_notify::Config::from_file(file)
                .with_context(|| format!("--notifications {}", file.display()))?,
        ),
        None => None,
    };
    let rt = tokio::runtime::Runtime::new().context("starting the runtime")?;
    rt.block_on(run_async(args, notifications))
}

async fn run_async(
    args: &Args,
    notifications: Option<serin_notify::Config>,
) -> anyhow::Result<ExitCode> {
    let delivery = match notifications {
        Some(config) => Some(serin_notify::Notifier::start(
            config,
            serin_metrics::http_client()?,
        )?),
        None => None,
    };
    let notifier = delivery
        .clone()
        .map(|n| Arc::new(n) as Arc<dyn serin_notify::EventNotifier>);
    let target = connect(&args.kube).await?;
    let client = target.client;
    let metrics = Arc::new(ControllerMetrics::new());
    let (ready_tx, ready_rx) = watch::channel(false);
    let (stop_tx, stop_rx) = watch::channel(false);
    let stopped = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    tokio::spawn({
        let stop_tx = stop_tx.clone();
        async move {
            terminated().await;
            tracing::info!("stopping: finishing the passes under way");
            let _ = stop_tx.send(true);
        }
    });

    let listener = tokio::net::TcpListener::bind(&args.metrics_addr)
        .await
        .with_context(|| format!("--metrics-addr {}", args.metrics_addr))?;
    tracing::info!(addr = %listener.local_addr()?, "serving /metrics, /healthz and /readyz");
    let ops = tokio::spawn(serin_kube::ops::serve(
        listener,
        metrics.clone(),
        ready_rx,
        stopped(stop_rx.clone()),
    ));

    // The elector stops only after the last pass: a standby must not lead
    // while this replica is still writing.
    let (elector_stop_tx, elector_stop_rx) = watch::channel(false);
    let mut lost = None;
    let elector = if args.leader_elect {
        let mut config = LeaderConfig::new(args.lease_namespace.clone(), identity(args));
        config.name = args.lease_name.clone();
        let elector = LeaderElector::new(client.clone(), config)?;
        let mut leading = elector.leadership();
        let task = tokio::spawn(elector.run(stopped(elector_stop_rx)));
        tracing::info!("waiting to lead");
        let mut stop = stop_rx.clone();
        tokio::select! {
            r = leading.wait_for(|l| *l) => { r.context("leader election ended")?; }
            _ = stop.wait_for(|s| *s) => return Ok(ExitCode::SUCCESS),
        }
        metrics.set_leader(true);
        tracing::info!("leading");
        lost = Some(leading);
        Some(task)
    } else {
        metrics.set_leader(true);
        None
    };

    let lost_lease = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let shutdown = {
        let stop = stop_rx.clone();
        let lost_lease = lost_lease.clone();
        async move {
            let stop = stopped(stop);
            match lost {
                Some(mut l) => tokio::select! {
                    () = stop => {}
                    _ = l.wait_for(|leading| !*leading) => {
                        tracing::error!("lost the leader Lease: stopping");
                        lost_lease.store(true, std::sync::atomic::Ordering::SeqCst);
                    }
                },
                None => stop.await,
            }
        }
    };
    let parts = Parts {
        config: Config {
            namespace: args.kube.namespace_flag().map(str::to_owned),
            concurrency: args.concurrency,
            instance: identity(args),
            notifier,
            ..Config::default()
        },
        clock: Arc::new(SystemClock),
        report: Some(metrics.clone()),
        ready: Some(ready_tx),
    };
    serin_kube::run(client, parts, shutdown).await?;
    let _ = stop_tx.send(true);
    let _ = elector_stop_tx.send(true);
    if let Some(task) = elector {
        let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
    }
    let _ = tokio::time::timeout(Duration::from_secs(5), ops).await;
    if let Some(d) = delivery
        && !d.flush(Duration::from_secs(2)).await
    {
        tracing::warn!("stopping with notifications not delivered yet");
    }
    Ok(if lost_lease.load(std::sync::atomic::Ordering::SeqCst) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
