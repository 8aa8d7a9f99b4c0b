//! `serin history NAME`: versions asked for, commands given (and by whom),
//! and the engine's events (steps, verdicts, aborts, promotions), oldest
//! first, from the daemon. On Kubernetes the Rollout's status keeps the
//! revisions (numbered, for `undo --to-revision`) and its annotation the
//! commands not yet handled; the Rollout's Kubernetes Events (one list
//! with a field selector on what they regard,
//! `serin_dashboard::kube_history`) give the actions the dashboard refused
//! (`ActionRefused`) and the controller's Events (transitions,
//! `CommandAccepted`, aborts, analysis failures), printed with the pending
//! commands in time order.

use std::process::ExitCode;

use anyhow::Context as _;

use serin_api::Time;
use serin_api::k8s::pending_commands;
use serin_dashboard::kube_history::{self, Noted, RolloutEvents};
use serin_local::store::HistoryEntry;

use super::admin_client::{Conn, block_on};
use super::kube_target::{self, KubeArgs, Platform};

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
    /// Or which Kubernetes cluster and namespace.
    #[command(flatten)]
    kube: KubeArgs,
}

/// Prints the history.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    if args.kube.platform()? == Platform::Kubernetes {
        return block_on(run_kube(args));
    }
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

/// The revisions, the pending commands, the refused actions and the
/// Events of a Rollout object.
async fn run_kube(args: &Args) -> anyhow::Result<ExitCode> {
    let target = kube_target::connect(&args.kube).await?;
    let rollout = target.rollout(&args.name).await?;
    let queued = kube_target::queued_commands(&rollout)?;
    let events = kube::Api::namespaced(target.client.clone(), &target.namespace);
    let RolloutEvents { refusals, noted } = kube_history::list(&events, &rollout)
        .await
        .with_context(|| format!("reading the events of {}", args.name))?;
    let refused = refusals;
    let status = rollout.status.unwrap_or_default();
    let pending = pending_commands(&queued, status.last_command_id);
    if args.json {
        let doc = serde_json::json!({
            "revisions": status.revisions,
            "stableRevision": status.stable_revision,
            "currentRevision": status.current_revision,
            "lastCommandId": status.last_command_id,
            "pendingCommands": pending,
            "refused": refused.iter().map(|r| serde_json::json!({
                "at": r.at, "command": r.command, "by": r.by, "reason": r.reason,
            })).collect::<Vec<_>>(),
            "events": noted.iter().map(|n| serde_json::json!({
                "at": n.at, "reason": n.reason, "message": n.message,
                "type": n.kind, "count": n.count,
            })).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(ExitCode::SUCCESS);
    }
    for r in &status.revisions {
        let mut marks = Vec::new();
        if status.stable_revision.as_deref() == Some(r.revision.as_str()) {
            marks.push("stable");
        }
        if status.current_revision.as_deref() == Some(r.revision.as_str())
            && status.stable_revision != status.current_revision
        {
            marks.push("released");
        }
        let marks = if marks.is_empty() {
            String::new()
        } else {
            format!(" ({})", marks.join(", "))
        };
        println!("revision {} {}{marks}", r.number, r.revision);
    }
    let mut timed: Vec<(Option<Time>, String)> = Vec::new();
    for c in &pending {
        let at = c.at.map(|t| format!(" at {t}")).unwrap_or_default();
        let line = format!(
            "command #{} {} by {}{at}: pending",
            c.id,
            c.command.verb(),
            c.by
        );
        timed.push((c.at, line));
    }
    for r in &refused {
        let at = r.at.map(|t| format!(" at {t}")).unwrap_or_default();
        timed.push((
            r.at,
            format!("refused {} by {}{at}: {}", r.command, r.by, r.reason),
        ));
    }
    for n in &noted {
        timed.push((n.at, event_line(n)));
    }
    timed.sort_by_key(|(at, _)| *at);
    for (_, line) in timed {
        println!("{line}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `event RolloutAborted (Warning) at T: message`, with `×N` for a series.
fn event_line(n: &Noted) -> String {
    let at = n.at.map(|t| format!(" at {t}")).unwrap_or_default();
    let kind = if n.kind == "Normal" {
        String::new()
    } else {
        format!(" ({})", n.kind)
    };
    let times = if n.count > 1 {
        format!(" ×{}", n.count)
    } else {
        String::new()
    };
    format!("event {}{kind}{times}{at}: {}", n.reason, n.message)
}
