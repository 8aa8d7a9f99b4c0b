//! `serin promote|abort|retry|undo|pause|resume NAME`: one command to a
//! rollout through the daemon. Each is queued with an increasing id and
//! carried out once by the engine; the history records who gave it.

use std::process::ExitCode;

use serin_api::Command;
use serin_local::admin::CommandBody;

use super::admin_client::{Conn, block_on, me};

/// Arguments shared by the verbs without options.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The rollout.
    name: String,
    /// Where the daemon is.
    #[command(flatten)]
    conn: Conn,
}

/// Arguments of `serin promote`.
#[derive(Debug, clap::Args)]
pub struct PromoteArgs {
    /// Skip every remaining step, analysis and gate.
    #[arg(long)]
    full: bool,
    /// The rollout and the daemon.
    #[command(flatten)]
    common: Args,
}

/// Arguments of `serin undo`.
#[derive(Debug, clap::Args)]
pub struct UndoArgs {
    /// The revision number to return to (see `serin history`); the previous one by default.
    #[arg(long)]
    to_revision: Option<i64>,
    /// The rollout and the daemon.
    #[command(flatten)]
    common: Args,
}

/// `serin promote`.
pub fn promote(args: &PromoteArgs) -> anyhow::Result<ExitCode> {
    let c = if args.full {
        Command::PromoteFull
    } else {
        Command::Promote
    };
    send(&args.common, c)
}

/// `serin undo`.
pub fn undo(args: &UndoArgs) -> anyhow::Result<ExitCode> {
    send(
        &args.common,
        Command::Undo {
            to_revision: args.to_revision,
        },
    )
}

/// Queues `command` for the rollout.
pub fn send(args: &Args, command: Command) -> anyhow::Result<ExitCode> {
    let client = args.conn.client()?;
    let verb = command.verb();
    block_on(async {
        let answer: serde_json::Value = client
            .send_json(
                reqwest::Method::POST,
                &format!("/v1/rollouts/{}/commands", args.name),
                &CommandBody { command, by: me() },
            )
            .await?;
        let id = answer
            .get("id")
            .and_then(serde_json::Value::as_i64)
            .unwrap_or(0);
        println!("rollout {}: {verb} sent (command #{id})", args.name);
        Ok(ExitCode::SUCCESS)
    })
}
