//! `serin-kube-fake`: the fake API server as a process, so a controller
//! under a benchmark runs in its own process and its memory is its own.
//!
//! ```text
//! serin-kube-fake [--port N] [--replicasets READY_AFTER_SECS] [--kubeconfig FILE] [FIXTURE.yaml ...]
//! ```
//!
//! Prints the server URL, writes a kubeconfig for it when asked, loads the
//! fixtures, and serves until interrupted (Ctrl-C or SIGTERM). The
//! simulator's clock follows the wall clock, a second at a time.

use std::time::Duration;

use serin_kube_fake::{FakeApiServer, FakeOptions};

#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Fake(#[from] serin_kube_fake::FakeError),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

struct Args {
    options: FakeOptions,
    kubeconfig: Option<String>,
    fixtures: Vec<String>,
}

fn parse(mut argv: impl Iterator<Item = String>) -> Result<Args, CliError> {
    let mut args = Args {
        options: FakeOptions::default(),
        kubeconfig: None,
        fixtures: Vec::new(),
    };
    let number = |flag: &str, v: Option<String>| -> Result<u64, CliError> {
        v.and_then(|v| v.parse().ok())
            .ok_or_else(|| CliError::Usage(format!("{flag} needs a number")))
    };
    while let Some(arg) = argv.next() {
        match arg.as_str() {
            "--port" => {
                let port = number("--port", argv.next())?;
                args.options.port = u16::try_from(port)
                    .map_err(|_| CliError::Usage("--port is at most 65535".into()))?;
            }
            "--replicasets" => {
                let secs = number("--replicasets", argv.next())?;
                args.options.replicaset_simulator = Some(Duration::from_secs(secs));
            }
            "--kubeconfig" => {
                args.kubeconfig = Some(
                    argv.next()
                        .ok_or_else(|| CliError::Usage("--kubeconfig needs a file".into()))?,
                );
            }
            flag if flag.starts_with("--") => {
                return Err(CliError::Usage(format!(
                    "unknown flag {flag}; usage: serin-kube-fake [--port N] [--replicasets SECS] [--kubeconfig FILE] [FIXTURE.yaml ...]"
                )));
            }
            _ => args.fixtures.push(arg),
        }
    }
    Ok(args)
}

async fn run() -> Result<(), CliError> {
    let args = parse(std::env::args().skip(1))?;
    let (fake, _client) = FakeApiServer::start_with(args.options).await?;
    for path in &args.fixtures {
        let text = std::fs::read_to_string(path).map_err(|source| CliError::Io {
            path: path.clone(),
            source,
        })?;
        fake.load_yaml(&text)?;
    }
    if let Some(path) = &args.kubeconfig {
        std::fs::write(path, fake.kubeconfig()).map_err(|source| CliError::Io {
            path: path.clone(),
            source,
        })?;
    }
    println!("{}", fake.url());
    // In a process the simulator's clock follows the wall clock.
    let mut second = tokio::time::interval(Duration::from_secs(1));
    second.tick().await;
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|source| CliError::Io {
            path: "SIGTERM handler".into(),
            source,
        })?;
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => return Ok(()),
            _ = term.recv() => return Ok(()),
            _ = second.tick() => fake.advance(Duration::from_secs(1)),
        }
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("serin-kube-fake: {err}");
            std::process::ExitCode::from(2)
        }
    }
}
