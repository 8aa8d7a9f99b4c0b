//! `serin dashboard [--listen 127.0.0.1:9901] [--admin ADDR] [--state-dir DIR]
//! [--read-only]`: serves the dashboard (`serin-dashboard`) for a running
//! daemon, reading and acting through its admin API with its token. The
//! daemon serves the same page itself under `/dashboard/` of its admin
//! listener; this command serves it on its own address, for example
//! read-only for everyone on a team. With the Kubernetes flags of the other
//! commands (`--kube`, `--kubeconfig`, `--context`, `-n`, or `-A` for every
//! namespace) it serves the same page for the Rollouts of a cluster
//! (`KubeSource`); actions then need `SERIN_TOKEN`, else the state
//! directory's token (created if missing), and `--prometheus URL` fills
//! the per-version charts from per-version PromQL templates.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use serin_dashboard::prometheus::{self, Prometheus, Queries};
use serin_dashboard::{DaemonSource, KubeSource, Options, Scope, Source};
use serin_local::admin::{ADDR_FILE, token::TOKEN_FILE};
use serin_local::daemon::DEFAULT_ADMIN;

use super::kube_target::{self, KubeArgs, Platform};

/// Arguments of `serin dashboard`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where the dashboard listens (127.0.0.1 only by default).
    #[arg(long, default_value = "127.0.0.1:9901")]
    listen: SocketAddr,
    /// The daemon's admin API (host:port); else the address in the state directory.
    #[arg(long, env = "SERIN_ADMIN")]
    admin: Option<String>,
    /// The daemon's state directory (its token and admin address are read from there).
    #[arg(long, env = "SERIN_STATE_DIR", default_value = ".serin")]
    state_dir: PathBuf,
    /// Show everything, refuse every action (the buttons are hidden).
    #[arg(long)]
    read_only: bool,
    /// The Rollouts of every namespace (Kubernetes).
    #[arg(short = 'A', long)]
    all_namespaces: bool,
    /// Or which Kubernetes cluster and namespace.
    #[command(flatten)]
    kube: KubeArgs,
    /// Per-version numbers from Prometheus (Kubernetes).
    #[command(flatten)]
    prometheus: PrometheusArgs,
}

/// Where the per-version numbers come from on Kubernetes.
#[derive(Debug, clap::Args)]
struct PrometheusArgs {
    /// Fill the per-version charts from this Prometheus (Kubernetes only;
    /// on one host they come from serin's proxy).
    #[arg(long, env = "SERIN_PROMETHEUS", value_name = "URL")]
    prometheus: Option<String>,
    /// PromQL for one version's requests per second ({{namespace}},
    /// {{rollout}}, {{version}}: the revision's pod-template hash).
    #[arg(long, value_name = "PROMQL", default_value = prometheus::DEFAULT_REQUESTS)]
    prometheus_requests: String,
    /// PromQL for one version's error rate, a share from 0 to 1.
    #[arg(long, value_name = "PROMQL", default_value = prometheus::DEFAULT_ERRORS)]
    prometheus_errors: String,
    /// PromQL for one version's p99 latency, in milliseconds.
    #[arg(long, value_name = "PROMQL", default_value = prometheus::DEFAULT_P99)]
    prometheus_p99: String,
}

impl PrometheusArgs {
    /// The Prometheus asked, when `--prometheus` is given.
    fn resolve(&self) -> anyhow::Result<Option<Prometheus>> {
        let Some(address) = &self.prometheus else {
            return Ok(None);
        };
        reqwest::Url::parse(address)
            .with_context(|| format!("--prometheus {address:?} is not a URL"))?;
        let queries = Queries {
            requests_per_second: self.prometheus_requests.clone(),
            error_rate: self.prometheus_errors.clone(),
            p99_ms: self.prometheus_p99.clone(),
        };
        Ok(Some(Prometheus::new(
            address,
            queries,
            serin_metrics::http_client()?,
        )))
    }
}

/// Runs the dashboard until Ctrl-C or SIGTERM.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    // Refused actions are logged as warnings, given ones as info.
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Runtime::new().context("starting the runtime")?;
    if args.all_namespaces || args.kube.platform()? == Platform::Kubernetes {
        return runtime.block_on(run_kube(args));
    }
    if args.prometheus.prometheus.is_some() {
        anyhow::bail!(
            "--prometheus is for a Kubernetes cluster; on one host the numbers come from serin's proxy"
        );
    }
    let admin = match &args.admin {
        Some(a) => a.clone(),
        None => std::fs::read_to_string(args.state_dir.join(ADDR_FILE))
            .map(|s| s.trim().to_owned())
            .unwrap_or_else(|_| DEFAULT_ADMIN.to_owned()),
    };
    let token = match env_token() {
        Some(t) => t,
        None => {
            let path = args.state_dir.join(TOKEN_FILE);
            std::fs::read_to_string(&path)
                .with_context(|| format!("no SERIN_TOKEN and cannot read {}", path.display()))?
        }
    };
    let source = DaemonSource::new(&admin, &token, serin_metrics::http_client()?);
    let what = format!("the daemon at {admin}");
    runtime.block_on(serve(args, source, &token, &what))
}

/// The Rollouts of the cluster the Kubernetes flags name.
async fn run_kube(args: &Args) -> anyhow::Result<ExitCode> {
    let target = kube_target::connect(&args.kube).await?;
    let token = token_or_create(&args.state_dir)?;
    let (scope, what) = if args.all_namespaces {
        (Scope::All, format!("every namespace of {}", target.server))
    } else {
        let ns = target.namespace.clone();
        let what = format!("namespace {ns} of {}", target.server);
        (Scope::Namespace(ns), what)
    };
    let mut source = KubeSource::new(target.client.clone(), scope);
    let mut what = what;
    if let Some(p) = args.prometheus.resolve()? {
        source = source.with_prometheus(p);
        what.push_str(", numbers from ");
        what.push_str(args.prometheus.prometheus.as_deref().unwrap_or_default());
    }
    serve(args, source, &token, &what).await
}

/// `SERIN_TOKEN`, else the state directory's token, created (with the
/// directory) if missing.
fn token_or_create(state_dir: &Path) -> anyhow::Result<String> {
    if let Some(t) = env_token() {
        return Ok(t);
    }
    let what = || format!("no SERIN_TOKEN and no token in {}", state_dir.display());
    std::fs::create_dir_all(state_dir).with_context(what)?;
    serin_local::admin::token::load_or_create(state_dir).with_context(what)
}

/// `SERIN_TOKEN`, when set and not empty.
fn env_token() -> Option<String> {
    std::env::var("SERIN_TOKEN")
        .ok()
        .filter(|t| !t.trim().is_empty())
}

/// Serves the page of `source` on `--listen` until Ctrl-C or SIGTERM.
async fn serve<S: Source>(
    args: &Args,
    source: S,
    token: &str,
    what: &str,
) -> anyhow::Result<ExitCode> {
    let options = Options {
        read_only: args.read_only,
        ..Options::new(token)
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let bound = listener.local_addr()?;
    let mode = if args.read_only { " (read-only)" } else { "" };
    eprintln!("serin dashboard on http://{bound}/ for {what}{mode}");
    serin_dashboard::serve(listener, source, options, stopped())
        .await
        .context("serving the dashboard")?;
    Ok(ExitCode::SUCCESS)
}

/// Ctrl-C or SIGTERM.
async fn stopped() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
