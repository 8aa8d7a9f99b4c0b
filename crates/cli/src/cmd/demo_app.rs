//! `serin demo-app`: runs the reference service (crate `serin-demo-app`) on
//! 127.0.0.1 with structured JSON logs on stderr. SIGTERM or Ctrl-C drains
//! it (exit 0); an injected crash exits 3. The one-host daemon starts it as
//! `serin demo-app --port {port} --version {version}`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use serin_demo_app::{Config, Exit, Faults, Latency};

/// Exit code of an injected crash.
const CRASH_EXIT: u8 = 3;

/// Arguments of `serin demo-app`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Port to listen on (0: any free port, logged at start).
    #[arg(long, env = "SERIN_DEMO_PORT", default_value_t = 8080)]
    port: u16,
    /// Address to listen on.
    #[arg(long, env = "SERIN_DEMO_HOST", default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    host: IpAddr,
    /// The version reported by `/`, `/version` and the metrics.
    #[arg(long = "version", env = "SERIN_DEMO_VERSION", default_value = "v1")]
    app_version: String,
    /// The instance name reported by `/` (default: the process id).
    #[arg(long, env = "SERIN_DEMO_INSTANCE", default_value = "")]
    instance: String,
    /// Share of `GET /` requests answered 500, from 0 to 1.
    #[arg(long, env = "SERIN_DEMO_ERROR_RATE", default_value_t = 0.0)]
    error_rate: f64,
    /// Median latency added to `GET /`, in milliseconds (log-normal).
    #[arg(long, env = "SERIN_DEMO_LATENCY_MEDIAN_MS")]
    latency_median_ms: Option<f64>,
    /// 99th percentile of the added latency, in milliseconds (default: 4 × the median).
    #[arg(
        long,
        env = "SERIN_DEMO_LATENCY_P99_MS",
        requires = "latency_median_ms"
    )]
    latency_p99_ms: Option<f64>,
    /// Seconds during which `/startup` and `/readyz` fail after start.
    #[arg(long, env = "SERIN_DEMO_STARTUP_SECONDS", default_value_t = 0.0)]
    startup_seconds: f64,
    /// Crash (exit 3, no draining) this many seconds after start.
    #[arg(long, env = "SERIN_DEMO_CRASH_AFTER_SECONDS")]
    crash_after_seconds: Option<f64>,
    /// `/readyz` answers 503.
    #[arg(long, env = "SERIN_DEMO_FAIL_READINESS")]
    fail_readiness: bool,
    /// `/livez` answers 503.
    #[arg(long, env = "SERIN_DEMO_FAIL_LIVENESS")]
    fail_liveness: bool,
    /// Seconds between readiness turning off on SIGTERM and the listener closing.
    #[arg(long, env = "SERIN_DEMO_DRAIN_DELAY_SECONDS", default_value_t = 0.0)]
    drain_delay_seconds: f64,
}

impl Args {
    /// The app's configuration.
    fn config(&self) -> anyhow::Result<Config> {
        let latency = self.latency_median_ms.map(|median_ms| Latency {
            median_ms,
            p99_ms: self.latency_p99_ms.unwrap_or(median_ms * 4.0),
        });
        let faults = Faults {
            error_rate: self.error_rate,
            latency,
            startup_seconds: self.startup_seconds,
            crash_after_seconds: self.crash_after_seconds,
            fail_readiness: self.fail_readiness,
            fail_liveness: self.fail_liveness,
        };
        faults.check()?;
        let drain_delay = Duration::try_from_secs_f64(self.drain_delay_seconds)
            .context("--drain-delay-seconds must be zero or more")?;
        Ok(Config {
            version: self.app_version.clone(),
            instance: self.instance.clone(),
            faults,
            drain_delay,
        })
    }
}

/// Runs the app until it drains (0) or crashes (3).
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let config = args.config()?;
    init_logs();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let addr = SocketAddr::new(args.host, args.port);
    let exit = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("listening on {addr}"))?;
        let shutdown = terminate_signal()?;
        serin_demo_app::serve(listener, config, shutdown)
            .await
            .context("serving")
    })?;
    // Do not wait for stray tasks: a crash must be abrupt.
    runtime.shutdown_background();
    Ok(match exit {
        Exit::Drained => ExitCode::SUCCESS,
        Exit::Crashed => ExitCode::from(CRASH_EXIT),
    })
}

/// JSON logs on stderr, filtered by `RUST_LOG` (default `info`).
fn init_logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_current_span(false)
        .init();
}

/// Resolves on SIGTERM or Ctrl-C.
fn terminate_signal() -> anyhow::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    })
}
