//! `serin list`: every rollout of the daemon, one line each.

use std::process::ExitCode;

use serin_view::RolloutView;

use super::admin_client::{Conn, block_on};

/// Arguments of `serin list`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where the daemon is.
    #[command(flatten)]
    conn: Conn,
}

/// Prints the rollouts.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let client = args.conn.client()?;
    block_on(async {
        let views: Vec<RolloutView> = client.get("/v1/rollouts").await?;
        println!(
            "{:<20} {:<10} {:<12} {:<10} {:<10} {:>6} {:>6}",
            "NAME", "STRATEGY", "PHASE", "STABLE", "CANARY", "WEIGHT", "STEP"
        );
        for v in views {
            println!(
                "{:<20} {:<10} {:<12} {:<10} {:<10} {:>6} {:>6}",
                v.name,
                v.strategy,
                if v.phase.is_empty() {
                    "Pending"
                } else {
                    &v.phase
                },
                v.stable.as_deref().unwrap_or("-"),
                v.canary
                    .as_deref()
                    .filter(|c| Some(*c) != v.stable.as_deref())
                    .unwrap_or("-"),
                v.canary_weight,
                v.step_display.as_deref().unwrap_or("-"),
            );
        }
        Ok(ExitCode::SUCCESS)
    })
}
