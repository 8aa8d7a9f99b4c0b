//! The `serin` command. `main` parses the command line and hands the chosen
//! subcommand to its module under [`cmd`]; each module owns its arguments and
//! its output.

mod cmd;

use std::process::ExitCode;

use clap::Parser;

/// Progressive delivery — canary and blue-green releases with automated
/// analysis, promotion and rollback, on one host or on Kubernetes.
#[derive(Debug, Parser)]
#[command(name = "serin", version, about, propagate_version = true)]
struct Cli {
    /// The subcommand.
    #[command(subcommand)]
    command: cmd::Command,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cmd::run(cli.command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("serin: {e:#}");
            ExitCode::from(2)
        }
    }
}
