//! Runs the proxy from a YAML config until SIGTERM or Ctrl-C, for manual runs
//! and the benchmark:
//!
//! ```text
//! cargo run --release -p serin-proxy --example serve -- proxy.yaml [--workers N]
//! ```
//!
//! `--workers 1` runs a single-threaded runtime; `RUST_LOG` sets the log level.

use std::process::ExitCode;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        eprintln!("usage: serve PROXY.yaml [--workers N]");
        return ExitCode::from(2);
    };
    let workers = args
        .iter()
        .position(|a| a == "--workers")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let config = match serin_proxy::ProxyConfig::from_file(path.as_ref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let runtime = serin_proxy::build_runtime(workers);
    let runtime = match runtime {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serin_proxy::run(config, serin_proxy::shutdown_signal())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
