//! Giving a command to a Rollout: [`give`] appends it to the Rollout's
//! command-queue annotation (`serin.dev/commands`) with a JSON patch that
//! first tests the `resourceVersion` it read, so two writers never lose
//! each other's command (the loser reads again and retries on 409 or 422).
//! Handled entries are pruned in the same write. `serin promote|abort|...`
//! and the dashboard both give commands through here.

use std::time::Duration;

use kube::Api;
use kube::api::{Patch, PatchParams};
use serin_api::k8s::{
    COMMANDS_ANNOTATION, FIELD_MANAGER, next_command_id, parse_commands, pending_commands,
};
use serin_api::{Command, CommandRequest, Rollout, Time};

/// How many times a command is tried against a Rollout that keeps changing.
pub const ATTEMPTS: u32 = 8;

/// Why a command could not be queued.
#[derive(Debug, thiserror::Error)]
pub enum GiveError {
    /// No Rollout has this name.
    #[error("rollout {0} not found")]
    NotFound(String),
    /// The Rollout could not be read.
    #[error("reading rollout {name}: {source}")]
    Read {
        /// The Rollout.
        name: String,
        /// The client's error.
        #[source]
        source: kube::Error,
    },
    /// The queue annotation is not a JSON array of commands (it is left as
    /// it is), or the Rollout has no `resourceVersion` to test.
    #[error("{0}")]
    Queue(String),
    /// The patch was refused, or kept conflicting [`ATTEMPTS`] times.
    #[error("queueing the command (attempt {attempt}): {source}")]
    Write {
        /// The attempt that failed.
        attempt: u32,
        /// The client's error.
        #[source]
        source: kube::Error,
    },
}

/// Appends `command`, given by `by`, to the queue of the Rollout `name`
/// and returns it as queued (with its id and time). Retries on a conflict
/// (409) or a failed `resourceVersion` test (422), reading the Rollout
/// again each time.
///
/// # Errors
/// See [`GiveError`].
pub async fn give(
    api: &Api<Rollout>,
    name: &str,
    command: Command,
    by: &str,
) -> Result<CommandRequest, GiveError> {
    let params = PatchParams {
        field_manager: Some(FIELD_MANAGER.to_owned()),
        ..PatchParams::default()
    };
    let mut attempt = 0;
    loop {
        attempt += 1;
        let rollout = api
            .get_opt(name)
            .await
            .map_err(|source| GiveError::Read {
                name: name.to_owned(),
                source,
            })?
            .ok_or_else(|| GiveError::NotFound(name.to_owned()))?;
        let request = CommandRequest {
            id: 0,
            command: command.clone(),
            by: by.to_owned(),
            at: Some(now()),
        };
        let (patch, queued) = queue_patch(&rollout, request)?;
        match api.patch(name, &params, &Patch::Json::<()>(patch)).await {
            Ok(_) => return Ok(queued),
            Err(kube::Error::Api(e)) if e.code == 404 => {
                return Err(GiveError::NotFound(name.to_owned()));
            }
            Err(kube::Error::Api(e)) if (e.code == 409 || e.code == 422) && attempt < ATTEMPTS => {
                // A short backoff before reading the Rollout again.
                tokio::time::sleep(Duration::from_millis(10 * u64::from(attempt))).await;
            }
            Err(source) => return Err(GiveError::Write { attempt, source }),
        }
    }
}

/// The commands in a Rollout's queue annotation, handled or not.
///
/// # Errors
/// The annotation is not a JSON array of commands.
pub fn queued(rollout: &Rollout) -> Result<Vec<CommandRequest>, GiveError> {
    let text = rollout
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(COMMANDS_ANNOTATION));
    parse_commands(text.map(String::as_str)).map_err(GiveError::Queue)
}

/// The time now, as stored in a command.
pub fn now() -> Time {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    Time::from_millis(ms)
}

/// The JSON patch that appends `request` (its id set here) to the
/// rollout's queue, with the handled entries pruned, if the rollout is
/// still at the version read; and the request as queued.
fn queue_patch(
    rollout: &Rollout,
    mut request: CommandRequest,
) -> Result<(json_patch::Patch, CommandRequest), GiveError> {
    let meta = &rollout.metadata;
    let Some(version) = meta.resource_version.as_deref() else {
        return Err(GiveError::Queue(
            "the rollout has no resourceVersion".into(),
        ));
    };
    let queued = queued(rollout)?;
    let handled = rollout.status.as_ref().map_or(0, |s| s.last_command_id);
    request.id = next_command_id(&queued, handled);
    let mut queue = pending_commands(&queued, handled);
    queue.push(request.clone());
    let text = serde_json::to_string(&queue).map_err(|e| GiveError::Queue(e.to_string()))?;
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
    ]))
    .map_err(|e| GiveError::Queue(e.to_string()))?;
    Ok((patch, request))
}

#[cfg(test)]
mod tests {
    use super::*;

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
    ) -> Result<(serde_json::Value, CommandRequest), String> {
        let typed: Rollout = serde_json::from_value(read.clone()).map_err(|e| e.to_string())?;
        let request = CommandRequest {
            id: 0,
            command: Command::Abort,
            by: "ana".into(),
            at: None,
        };
        let (patch, queued) = queue_patch(&typed, request).map_err(|e| e.to_string())?;
        let mut doc = stored.clone();
        json_patch::patch(&mut doc, &patch).map_err(|e| e.to_string())?;
        Ok((doc, queued))
    }

    fn stored_queue(doc: &serde_json::Value) -> Result<Vec<CommandRequest>, String> {
        parse_commands(doc["metadata"]["annotations"][COMMANDS_ANNOTATION].as_str())
    }

    #[test]
    fn the_first_command_creates_the_annotations_with_an_id_above_the_handled_ones() {
        let r = rollout("7", None);
        let (doc, queued) = patched(&r, &r).expect("applies");
        assert_eq!(queued.id, 5);
        assert_eq!(stored_queue(&doc), Ok(vec![queued]));
    }

    #[test]
    fn other_annotations_are_kept_and_handled_commands_pruned() {
        let queued = r#"[{"id":4,"command":"pause"},{"id":5,"command":"resume"}]"#;
        let r = rollout(
            "7",
            Some(serde_json::json!({ "team": "shop", COMMANDS_ANNOTATION: queued })),
        );
        let (doc, given) = patched(&r, &r).expect("applies");
        assert_eq!(given.id, 6);
        assert_eq!(doc["metadata"]["annotations"]["team"], "shop");
        let ids: Vec<i64> = stored_queue(&doc)
            .expect("parses")
            .iter()
            .map(|c| c.id)
            .collect();
        assert_eq!(ids, vec![5, 6]);
    }

    #[test]
    fn the_command_is_recorded_as_given_by_who_gave_it() {
        let r = rollout("7", None);
        let (doc, _) = patched(&r, &r).expect("applies");
        let queue = stored_queue(&doc).expect("parses");
        assert_eq!(queue[0].by, "ana");
    }

    #[test]
    fn a_rollout_changed_since_it_was_read_refuses_the_patch() {
        let read = rollout("7", None);
        let stored = rollout("8", None);
        assert!(patched(&read, &stored).is_err());
    }
}
