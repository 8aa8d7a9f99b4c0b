//! `serin promote|abort|retry|undo|pause|resume NAME`: one command to a
//! rollout, through the daemon or through the Rollout object on
//! Kubernetes. Each is queued with an increasing id and carried out once by
//! the engine; the history records who gave it. On Kubernetes the command
//! is appended to the Rollout's command-queue annotation with a JSON patch
//! that first tests the `resourceVersion` it read, so two writers never
//! lose each other's command (the loser reads again and retries).

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, bail};
use kube::api::{Patch, PatchParams};
use serin_api::k8s::{COMMANDS_ANNOTATION, FIELD_MANAGER, next_command_id, pending_commands};
use serin_api::{Command, CommandRequest, Rollout};
use serin_local::admin::CommandBody;

use super::admin_client::{Conn, block_on, me};
use super::kube_target::{self, KubeArgs, Platform, Target};

/// How many times a command is tried against a Rollout that keeps changing.
const ATTEMPTS: u32 = 8;

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

/// Appends `command` to the queue of rollout `name`; returns its id.
/// Retries on a conflict (409) or a failed `resourceVersion` test (422),
/// reading the Rollout again each time.
async fn enqueue(target: &Target, name: &str, command: Command) -> anyhow::Result<i64> {
    let api = target.rollouts();
    let params = PatchParams {
        field_manager: Some(FIELD_MANAGER.to_owned()),
        ..PatchParams::default()
    };
    let mut attempt = 0;
    loop {
        attempt += 1;
        let rollout = target.rollout(name).await?;
        let (patch, id) = queue_patch(&rollout, command.clone())
            .with_context(|| format!("rollout {}/{name}", target.namespace))?;
        match api.patch(name, &params, &Patch::Json::<()>(patch)).await {
            Ok(_) => return Ok(id),
            Err(kube::Error::Api(e)) if e.code == 404 => return Err(target.not_found(name)),
            Err(kube::Error::Api(e)) if (e.code == 409 || e.code == 422) && attempt < ATTEMPTS => {
                tokio::time::sleep(Duration::from_millis(10 * u64::from(attempt))).await;
            }
            Err(e) => {
                return Err(e).with_context(|| {
                    format!(
                        "queueing the command on rollout {}/{name} (attempt {attempt})",
                        target.namespace
                    )
                });
            }
        }
    }
}

/// The JSON patch that appends `command` to the rollout's queue (with the
/// handled entries pruned) if the rollout is still at the version read,
/// and the command's id.
fn queue_patch(rollout: &Rollout, command: Command) -> anyhow::Result<(json_patch::Patch, i64)> {
    let meta = &rollout.metadata;
    let Some(version) = meta.resource_version.as_deref() else {
        bail!("the rollout has no resourceVersion");
    };
    let queued = kube_target::queued_commands(rollout)?;
    let handled = rollout.status.as_ref().map_or(0, |s| s.last_command_id);
    let id = next_command_id(&queued, handled);
    let mut queue = pending_commands(&queued, handled);
    queue.push(CommandRequest {
        id,
        command,
        by: me(),
        at: Some(kube_target::now()),
    });
    let text = serde_json::to_string(&queue)?;
    let write = if meta.annotations.is_some() {
        let key = COMMANDS_ANNOTATION.replace('~', "~0").replace('/', "~1");
        serde_json::json!({
            "op": "add",
            "path": format!("/metadata/annotations/{key}"),
            "value": text,
        })
    } else {
        serde_json::json!({
            "op": "add",
            "path": "/metadata/annotations",
            "value": { COMMANDS_ANNOTATION: text },
        })
    };
    let patch = serde_json::from_value(serde_json::json!([
        { "op": "test", "path": "/metadata/resourceVersion", "value": version },
        write,
    ]))?;
    Ok((patch, id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serin_api::k8s::parse_commands;

    fn rollout(version: &str, annotations: Option<serde_json::Value>) -> serde_json::Value {
        let mut meta = serde_json::json!({ "name": "web", "resourceVersion": version });
        if let Some(a) = annotations {
            meta["annotations"] = a;
        }
        serde_json::json!({
            "apiVersion": "serin.dev/v1alpha1",
            "kind": "Rollout",
            "metadata": meta,
            "spec": { "strategy": { "canary": { "steps": [] } } },
            "status": { "lastCommandId": 4 },
        })
    }

    fn patched(
        read: &serde_json::Value,
        stored: &serde_json::Value,
    ) -> Result<(serde_json::Value, i64), String> {
        let typed: Rollout = serde_json::from_value(read.clone()).map_err(|e| e.to_string())?;
        let (patch, id) = queue_patch(&typed, Command::Abort).map_err(|e| e.to_string())?;
        let mut doc = stored.clone();
        json_patch::patch(&mut doc, &patch).map_err(|e| e.to_string())?;
        Ok((doc, id))
    }

    #[test]
    fn the_first_command_creates_the_annotations_with_an_id_above_the_handled_ones() {
        let r = rollout("7", None);
        let (doc, id) = patched(&r, &r).expect("applies");
        assert_eq!(id, 5);
        let queue = parse_commands(doc["metadata"]["annotations"][COMMANDS_ANNOTATION].as_str());
        assert_eq!(queue.map(|q| q.len()), Ok(1));
    }

    #[test]
    fn other_annotations_are_kept_and_handled_commands_pruned() {
        let queued = r#"[{"id":4,"command":"pause"},{"id":5,"command":"resume"}]"#;
        let r = rollout(
            "7",
            Some(serde_json::json!({ "team": "shop", COMMANDS_ANNOTATION: queued })),
        );
        let (doc, id) = patched(&r, &r).expect("applies");
        assert_eq!(id, 6);
        assert_eq!(doc["metadata"]["annotations"]["team"], "shop");
        let queue = parse_commands(doc["metadata"]["annotations"][COMMANDS_ANNOTATION].as_str())
            .expect("parses");
        let ids: Vec<i64> = queue.iter().map(|c| c.id).collect();
        assert_eq!(ids, vec![5, 6]);
    }

    #[test]
    fn a_rollout_changed_since_it_was_read_refuses_the_patch() {
        let read = rollout("7", None);
        let stored = rollout("8", None);
        assert!(patched(&read, &stored).is_err());
    }
}
