//! `serin history NAME`: versions asked for, commands given (and by whom),
//! and the engine's events (steps, verdicts, aborts, promotions), oldest
//! first.

use std::process::ExitCode;

use serin_local::store::HistoryEntry;

use super::admin_client::{Conn, block_on};

/// Arguments of `serin history`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The rollout.
    name: String,
    /// Print JSON instead of lines.
    #[arg(long)]
    json: bool,
    /// Where the daemon is.
    #[command(flatten)]
    conn: Conn,
}

/// Prints the history.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let client = args.conn.client()?;
    block_on(async {
        let entries: Vec<HistoryEntry> = client
            .get(&format!("/v1/rollouts/{}/history", args.name))
            .await?;
        if args.json {
            println!("{}", serde_json::to_string_pretty(&entries)?);
        } else {
            for e in entries {
                println!("{}", e.line());
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}
