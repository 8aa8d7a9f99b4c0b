//! `serin promote|abort|retry|undo|pause|resume NAME`: one command to a
//! rollout, through the daemon or through the Rollout object on
//! Kubernetes. Each is queued with an increasing id and carried out once by
//! the engine; the history records who gave it. On Kubernetes the command
//! is appended to the Rollout's command-queue annotation by
//! `serin_kube::commands::give` (a JSON patch that first tests the
//! `resourceVersion` it read, retried on a conflict), as the dashboard does.

use std::process::ExitCode;

use anyhow::Context as _;
use serin_api::Command;
use serin_kube::commands::{self, GiveError};
use serin_local::admin::CommandBody;

use super::admin_client::{Conn, block_on, me};
use super::kube_target::{self, KubeArgs, Platform, Target};

/// Arguments shared by the verbs without options.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The rollout.
    name: String,
    /// Where the daemon is.
    #[command(flatten)]
    conn: Conn,
    /// Or which Kubernetes cluster and namespace.
    #[command(flatten)]
    kube: KubeArgs,
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
    match args.kube.platform()? {
        Platform::Local => send_local(args, command),
        Platform::Kubernetes => send_kube(args, command),
    }
}

/// Queues `command` through the daemon's admin API.
fn send_local(args: &Args, command: Command) -> anyhow::Result<ExitCode> {
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

/// Queues `command` in the Rollout's command annotation.
fn send_kube(args: &Args, command: Command) -> anyhow::Result<ExitCode> {
    block_on(async {
        let target = kube_target::connect(&args.kube).await?;
        let verb = command.verb();
        let id = enqueue(&target, &args.name, command).await?;
        println!(
            "rollout {}/{}: {verb} sent (command #{id})",
            target.namespace, args.name
        );
        Ok(ExitCode::SUCCESS)
    })
}

/// Appends `command` to the queue of rollout `name` as given by `$USER`
/// (`serin_kube::commands::give`); returns its id.
async fn enqueue(target: &Target, name: &str, command: Command) -> anyhow::Result<i64> {
    let ns = &target.namespace;
    match commands::give(&target.rollouts(), name, command, &me()).await {
        Ok(queued) => Ok(queued.id),
        Err(GiveError::NotFound(_)) => Err(target.not_found(name)),
        Err(GiveError::Read { source, .. }) => Err(anyhow::Error::new(source).context(format!(
            "reading rollout {ns}/{name} from {}",
            target.server
        ))),
        Err(GiveError::Queue(message)) => {
            Err(anyhow::anyhow!(message)).with_context(|| format!("rollout {ns}/{name}"))
        }
        Err(GiveError::Write { attempt, source }) => Err(anyhow::Error::new(source).context(
            format!("queueing the command on rollout {ns}/{name} (attempt {attempt})"),
        )),
    }
}
