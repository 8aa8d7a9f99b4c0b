//! `serin demo`: the whole story on one host. In a temporary directory it
//! runs the daemon in-process with the reference service as the workload,
//! sends steady load itself, releases v2 with injected errors and shows the
//! judge roll it back, then releases v3 healthy and shows it promoted; it
//! narrates each phase and ends with a summary. Every process it started is
//! stopped at the end, also on Ctrl-C (the daemon's own shutdown drains and
//! stops the replicas).
//!
//! Replicas are started as `serin demo --replica-port {port}
//! --replica-version {version} --faulty v2=RATE`, a shim that `exec`s
//! `serin demo-app --port … --version …`, adding `--error-rate RATE` for v2
//! only: the same spec serves every version and only v2 is faulty from its
//! first request.

mod load;
mod narrate;
mod spec;
mod story;
mod summary;

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};

/// How the new versions are released.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Strategy {
    /// Traffic shifts step by step; the sequential judge compares canary and stable.
    Canary,
    /// The new version comes up on the preview listener, is checked, and takes all traffic at once.
    BlueGreen,
}

/// Arguments of `serin demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The release strategy shown.
    #[arg(long, value_enum, default_value_t = Strategy::Canary)]
    strategy: Strategy,
    /// Short pauses and a higher request rate, so that it ends in seconds (for tests).
    #[arg(long)]
    fast: bool,
    /// Internal: run one replica of the demo's workload on this port.
    #[arg(long, hide = true, requires = "replica_version")]
    replica_port: Option<u16>,
    /// Internal: the replica's version.
    #[arg(long, hide = true)]
    replica_version: Option<String>,
    /// Internal: `VERSION=RATE`, the version that answers RATE of `GET /` with 500.
    #[arg(long, hide = true)]
    faulty: Option<String>,
}

/// The demo's timings and sizes.
#[derive(Debug, Clone)]
pub struct Pace {
    /// Replicas per version.
    pub replicas: u32,
    /// Requests per second sent by the load generator.
    pub rate: u32,
    /// The canary's last pause, or blue-green's auto-promotion delay.
    pub pause_seconds: u32,
    /// How often the judge looks, in milliseconds.
    pub look_ms: u64,
    /// Canary requests after which the sequential judge stops: a healthy v3
    /// (no error at all) passes there, and v2 at 5% has had about 12
    /// errors by then when the judge needs 3 or 4 (fewer than 3 in 250
    /// happens about once in 3,000 runs and would pause the release).
    pub max_samples: u32,
    /// Time the load keeps running after the last switch.
    pub settle: Duration,
    /// The whole demo ends within this.
    pub limit: Duration,
}

impl Pace {
    fn of(fast: bool) -> Pace {
        if fast {
            Pace {
                replicas: 1,
                rate: 200,
                pause_seconds: 1,
                look_ms: 250,
                max_samples: 250,
                settle: Duration::from_millis(1500),
                limit: Duration::from_secs(60),
            }
        } else {
            Pace {
                replicas: 2,
                rate: 100,
                pause_seconds: 5,
                look_ms: 500,
                max_samples: 300,
                settle: Duration::from_secs(3),
                limit: Duration::from_secs(150),
            }
        }
    }
}

/// Runs the demo (or, with `--replica-port`, one replica of its workload).
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    if let (Some(port), Some(version)) = (args.replica_port, &args.replica_version) {
        return replica(port, version, args.faulty.as_deref());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let ok = runtime.block_on(story::run(args.strategy, Pace::of(args.fast)))?;
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Replaces this process with `serin demo-app`, faulty when `version` is
/// the one named in `faulty`.
fn replica(port: u16, version: &str, faulty: Option<&str>) -> anyhow::Result<ExitCode> {
    use std::os::unix::process::CommandExt;
    let exe = std::env::current_exe().context("finding the serin binary")?;
    let mut cmd = std::process::Command::new(exe);
    cmd.args([
        "demo-app",
        "--port",
        &port.to_string(),
        "--version",
        version,
    ]);
    if let Some((_, rate)) = faulty
        .and_then(|f| f.split_once('='))
        .filter(|(bad, _)| *bad == version)
    {
        cmd.args(["--error-rate", rate]);
    }
    let err = cmd.exec();
    bail!("starting serin demo-app: {err}")
}
