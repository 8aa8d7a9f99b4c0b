//! `serin status NAME [-w] [-o json]`: one rollout's read model — steps
//! with the current one marked, weight bars, analysis verdicts, time left
//! in a pause, the message, each analysis metric with its measurements
//! and the sequential judge's evidence; from the daemon with per-arm
//! request rate, error rate and p99, or from the Rollout object and its
//! AnalysisRuns on Kubernetes. With
//! `-w`, redrawn whenever it changes (the screen is cleared only on a
//! terminal; a pipe gets each new state in turn): the daemon is polled,
//! the Rollout is watched (and the view recomputed each second, for the
//! time left in a pause).

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use futures::StreamExt as _;
use kube::runtime::{WatchStreamExt as _, watcher};
use serin_api::{Rollout, Time};
use serin_view::RolloutView;

use super::admin_client::{Conn, block_on};
use super::kube_target::{self, KubeArgs, Platform};

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
    /// Or which Kubernetes cluster and namespace.
    #[command(flatten)]
    kube: KubeArgs,
}

/// How the view is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// Plain text with weight bars.
    Text,
    /// The view as JSON (one document per line with `-w`).
    Json,
}

/// Prints each new state of the view, as `-w` and `-o` ask.
struct Printer {
    format: Format,
    watch: bool,
    terminal: bool,
    last: String,
}

impl Printer {
    fn new(args: &Args) -> Self {
        Self {
            format: args.output,
            watch: args.watch,
            terminal: std::io::stdout().is_terminal(),
            last: String::new(),
        }
    }

    /// Prints `view` unless it reads as the last one printed.
    fn show(&mut self, view: &RolloutView) -> anyhow::Result<()> {
        let text = match self.format {
            Format::Text => serin_view::render(view),
            Format::Json => format!("{}\n", serde_json::to_string(view)?),
        };
        if text == self.last {
            return Ok(());
        }
        let text_watch = self.watch && self.format == Format::Text;
        if text_watch && self.terminal {
            print!("\x1b[H\x1b[2J");
        }
        print!("{text}");
        if text_watch && !self.terminal {
            println!();
        }
        self.last = text;
        Ok(())
    }
}

/// Prints the view (and keeps printing with `-w`).
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    match args.kube.platform()? {
        Platform::Local => run_local(args),
        Platform::Kubernetes => block_on(run_kube(args)),
    }
}

/// The daemon's view, polled with `-w`.
fn run_local(args: &Args) -> anyhow::Result<ExitCode> {
    let client = args.conn.client()?;
    let path = format!("/v1/rollouts/{}", args.name);
    let mut printer = Printer::new(args);
    block_on(async {
        loop {
            let view: RolloutView = client.get(&path).await?;
            printer.show(&view)?;
            if !args.watch {
                return Ok(ExitCode::SUCCESS);
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    })
}

/// The view of a Rollout object; with `-w`, of each new state the watch
/// brings (and each second, for a pause's time left).
async fn run_kube(args: &Args) -> anyhow::Result<ExitCode> {
    let target = kube_target::connect(&args.kube).await?;
    let mut latest = Some(target.rollout(&args.name).await?);
    let mut printer = Printer::new(args);
    let who = format!("rollout {}/{}", target.namespace, args.name);
    if let Some(r) = &latest {
        printer.show(&view_with_runs(&target, r).await?)?;
    }
    if !args.watch {
        return Ok(ExitCode::SUCCESS);
    }
    let changes = watcher::watch_object(target.rollouts(), &args.name).default_backoff();
    let mut changes = std::pin::pin!(changes);
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            change = changes.next() => match change {
                Some(Ok(Some(rollout))) => latest = Some(rollout),
                Some(Ok(None)) => {
                    if latest.take().is_some() {
                        println!("{who} deleted");
                        printer.last.clear();
                    }
                }
                Some(Err(e)) => eprintln!("serin: watching {who}: {e}"),
                None => anyhow::bail!("the watch of {who} ended"),
            },
            _ = tick.tick() => {}
        }
        if let Some(r) = &latest {
            printer.show(&view_with_runs(&target, r).await?)?;
        }
    }
}

/// The read model of a Rollout object with its AnalysisRuns (each metric's
/// measurements, the sequential judge's evidence), as the dashboard serves
/// it; the runs are read only when the status names any.
async fn view_with_runs(
    target: &kube_target::Target,
    rollout: &Rollout,
) -> anyhow::Result<RolloutView> {
    use serin_dashboard::kube_runs;
    let runs = if kube_runs::has_analysis(rollout) {
        let api = kube::Api::namespaced(target.client.clone(), &target.namespace);
        kube_runs::of(&api, rollout).await.with_context(|| {
            let name = rollout.metadata.name.as_deref().unwrap_or_default();
            format!("reading the analysis runs of {name}")
        })?
    } else {
        kube_runs::Runs::new()
    };
    Ok(serin_dashboard::kube_view::view_of(
        rollout,
        &runs,
        kube_target::now(),
    ))
}

/// The read model of a Rollout object without its analysis runs (for
/// `serin list`): no per-arm numbers; the revision asked for is the one
/// the controller last saw.
pub(super) fn view_of(rollout: &Rollout, now: Time) -> RolloutView {
    serin_dashboard::kube_view::view_of(rollout, &Default::default(), now)
}
