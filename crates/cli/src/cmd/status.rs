//! `serin status NAME [-w] [-o json]`: one rollout's read model from the
//! daemon — steps with the current one marked, weight bars, per-arm
//! request rate, error rate and p99, analysis verdicts, time left in a
//! pause, the message. With `-w`, redrawn whenever it changes (the screen
//! is cleared only on a terminal; a pipe gets each new state in turn).

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use serin_view::RolloutView;

use super::admin_client::{Conn, block_on};

/// Arguments of `serin status`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The rollout.
    name: String,
    /// Keep watching and redraw on every change.
    #[arg(short = 'w', long)]
    watch: bool,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = Format::Text)]
    output: Format,
    /// Where the daemon is.
    #[command(flatten)]
    conn: Conn,
}

/// How the view is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// Plain text with weight bars.
    Text,
    /// The view as JSON (one document per line with `-w`).
    Json,
}

fn show(view: &RolloutView, format: Format) -> anyhow::Result<String> {
    Ok(match format {
        Format::Text => serin_view::render(view),
        Format::Json => format!("{}\n", serde_json::to_string(view)?),
    })
}

/// Prints the view (and keeps printing with `-w`).
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let client = args.conn.client()?;
    let path = format!("/v1/rollouts/{}", args.name);
    let terminal = std::io::stdout().is_terminal();
    block_on(async {
        let mut last = String::new();
        loop {
            let view: RolloutView = client.get(&path).await?;
            let text = show(&view, args.output)?;
            if text != last {
                if args.watch && terminal && args.output == Format::Text {
                    print!("\x1b[H\x1b[2J");
                }
                print!("{text}");
                if args.watch && !terminal && args.output == Format::Text {
                    println!();
                }
                last = text;
            }
            if !args.watch {
                return Ok(ExitCode::SUCCESS);
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    })
}
