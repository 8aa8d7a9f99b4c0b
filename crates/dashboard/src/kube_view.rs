//! The read model of a Rollout object, shared by `serin status|list` on
//! Kubernetes and the dashboard's [`crate::KubeSource`]: its view
//! ([`view_of`], `serin_view::build` over the stored spec and status) and
//! its history as the page shows it ([`history_of`]: the revisions the
//! status records and the commands still queued). Pure: no client here.

use serin_api::k8s::pending_commands;
use serin_api::{CommandRequest, Rollout, Time};
use serin_view::{Inputs, RolloutView};

/// The view of a Rollout object: no per-arm numbers (the proxy's feed
/// exists on one host only); the revision asked for is the one the
/// controller last saw (`status.currentRevision`).
pub fn view_of(rollout: &Rollout, now: Time) -> RolloutView {
    let status = rollout.status.clone().unwrap_or_default();
    serin_view::build(Inputs {
        name: rollout.metadata.name.as_deref().unwrap_or_default(),
        spec: &rollout.spec,
        status: &status,
        desired_revision: status.current_revision.as_deref().unwrap_or_default(),
        arms: Vec::new(),
        now,
    })
}

/// A Rollout's history as the page reads it, oldest first: one
/// `{"type":"revision"}` entry per revision recorded (numbered, for
/// `undo --to-revision`, with `is` saying `stable` and/or `current`; no
/// time, the status keeps none), then one
/// `{"type":"command", "pending": true}` per command queued and not yet
/// handled (`queued` is the annotation's queue).
pub fn history_of(rollout: &Rollout, queued: &[CommandRequest]) -> Vec<serde_json::Value> {
    let status = rollout.status.clone().unwrap_or_default();
    let revisions = status.revisions.iter().map(|r| {
        let mut marks = Vec::new();
        if status.stable_revision.as_deref() == Some(r.revision.as_str()) {
            marks.push("stable");
        }
        if status.current_revision.as_deref() == Some(r.revision.as_str()) {
            marks.push("current");
        }
        let mut entry = serde_json::json!({
            "type": "revision",
            "seq": r.number,
            "number": r.number,
            "revision": r.revision,
        });
        if !marks.is_empty() {
            entry["is"] = serde_json::Value::from(marks.join(", "));
        }
        entry
    });
    let pending = pending_commands(queued, status.last_command_id);
    let commands = pending.into_iter().map(|c| {
        serde_json::json!({
            "type": "command",
            "at": c.at,
            "id": c.id,
            "command": c.command.verb(),
            "by": c.by,
            "pending": true,
        })
    });
    revisions.chain(commands).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serin_api::Command;

    fn rollout() -> Rollout {
        let doc = serde_json::json!({
            "apiVersion": "serin.dev/v1alpha1",
            "kind": "Rollout",
            "metadata": { "name": "checkout" },
            "spec": { "strategy": { "canary": { "steps": [{ "setWeight": 20 }] } } },
            "status": {
                "stableRevision": "6b7f9c",
                "currentRevision": "5d4e8a",
                "revisions": [
                    { "number": 1, "revision": "6b7f9c" },
                    { "number": 2, "revision": "5d4e8a" },
                ],
                "lastCommandId": 7,
            },
        });
        serde_json::from_value(doc).expect("a rollout")
    }

    fn request(id: i64, by: &str) -> CommandRequest {
        CommandRequest {
            id,
            command: Command::Promote,
            by: by.into(),
            at: None,
        }
    }

    #[test]
    fn the_desired_revision_is_the_one_the_controller_last_saw() {
        let view = view_of(&rollout(), Time::from_millis(0));
        assert_eq!(view.name, "checkout");
        assert_eq!(view.desired_revision, "5d4e8a");
    }

    #[test]
    fn history_lists_the_revisions_then_only_the_commands_not_yet_handled() {
        let queued = [request(7, "bo"), request(8, "alice (dashboard)")];
        let history = history_of(&rollout(), &queued);
        let kinds: Vec<&str> = history.iter().filter_map(|e| e["type"].as_str()).collect();
        assert_eq!(kinds, ["revision", "revision", "command"]);
        assert_eq!(history[0]["is"], "stable");
        assert_eq!(history[2]["by"], "alice (dashboard)");
        assert_eq!(history[2]["id"], 8);
    }
}
