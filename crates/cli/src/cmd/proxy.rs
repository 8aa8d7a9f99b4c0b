//! `serin proxy -c proxy.yaml`: runs serin's proxy alone (crate
//! `serin-proxy`) until SIGTERM or Ctrl-C, then finishes the requests in
//! flight up to the config's `shutdownGraceMs` and exits 0. The config format
//! is in docs/proxy.md; a bad config is refused naming the field, exit 2.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

/// Arguments of `serin proxy`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The proxy's config file (YAML).
    #[arg(short = 'c', long = "config")]
    config: PathBuf,
    /// Worker threads (default: one per core; 1 runs a single-threaded runtime).
    #[arg(long)]
    workers: Option<usize>,
}

/// Runs the proxy until a shutdown signal.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let config = match serin_proxy::ProxyConfig::from_file(&args.config) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("{}: {e}", args.config.display());
            return Ok(ExitCode::from(2));
        }
    };
    let workers = args
        .workers
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let runtime = serin_proxy::build_runtime(workers).context("cannot start the runtime")?;
    runtime
        .block_on(serin_proxy::run(config, serin_proxy::shutdown_signal()))
        .context("the proxy failed")?;
    Ok(ExitCode::SUCCESS)
}
