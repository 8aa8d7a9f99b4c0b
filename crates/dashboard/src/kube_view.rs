//! The read model of a Rollout object, shared by `serin status|list` on
//! Kubernetes and the dashboard's [`crate::KubeSource`]: its view
//! ([`view_of`], `serin_view::build` over the stored spec and status and
//! its AnalysisRuns) and its history as the page shows it ([`history_of`]:
//! the revisions the status records, the commands still queued, the
//! actions the dashboard refused and the Rollout's other Events). Pure: no
//! client here.

use std::collections::BTreeMap;

use serin_api::k8s::pending_commands;
use serin_api::{AnalysisRun, CommandRequest, Rollout, Time};
use serin_view::{Inputs, RolloutView, RunInput};

use crate::kube_history::RolloutEvents;

/// An action the dashboard refused, as its Event records it
/// ([`crate::kube_events`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// When.
    pub at: Option<Time>,
    /// The action, as typed (`abort`, `promote --full`).
    pub command: String,
    /// Who asked (`mallory (dashboard)`).
    pub by: String,
    /// Why it was refused.
    pub reason: String,
}

/// The view of a Rollout object with its AnalysisRuns (`runs`, by the run
/// names of the status: the `serin.dev/run` annotation); no per-arm
/// numbers (the proxy's feed exists on one host only; the dashboard may
/// add Prometheus's); the revision asked for is the one the controller
/// last saw (`status.currentRevision`).
pub fn view_of(rollout: &Rollout, runs: &BTreeMap<String, AnalysisRun>, now: Time) -> RolloutView {
    let status = rollout.status.clone().unwrap_or_default();
    let empty = serin_api::analysis::AnalysisRunStatus::default();
    let runs = runs
        .iter()
        .map(|(name, run)| RunInput {
            name,
            spec: &run.spec,
            status: run.status.as_ref().unwrap_or(&empty),
        })
        .collect();
    serin_view::build(Inputs {
        name: rollout.metadata.name.as_deref().unwrap_or_default(),
        spec: &rollout.spec,
        status: &status,
        desired_revision: status.current_revision.as_deref().unwrap_or_default(),
        arms: Vec::new(),
        runs,
        now,
    })
}

/// A Rollout's history as the page reads it, oldest first: one
/// `{"type":"revision"}` entry per revision recorded (numbered, for
/// `undo --to-revision`, with `is` saying `stable` and/or `current`; no
/// time, the status keeps none), then one
/// `{"type":"command", "pending": true}` per command queued and not yet
/// handled (`queued` is the annotation's queue), one
/// `{"type":"refused"}` per action refused and one `{"type":"event",
/// "reason", "message", "eventType"}` per other Event about the Rollout
/// (the controller's), these three by time.
pub fn history_of(
    rollout: &Rollout,
    queued: &[CommandRequest],
    events: &RolloutEvents,
) -> Vec<serde_json::Value> {
    let refusals = &events.refusals;
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
        let entry = serde_json::json!({
            "type": "command",
            "at": c.at,
            "id": c.id,
            "command": c.command.verb(),
            "by": c.by,
            "pending": true,
        });
        (c.at, entry)
    });
    let refused = refusals.iter().map(|r| {
        let entry = serde_json::json!({
            "type": "refused",
            "at": r.at,
            "command": r.command,
            "by": r.by,
            "reason": r.reason,
        });
        (r.at, entry)
    });
    let noted = events.noted.iter().map(|n| {
        let mut entry = serde_json::json!({
            "type": "event",
            "at": n.at,
            "reason": n.reason,
            "message": n.message,
            "eventType": n.kind,
        });
        if n.count > 1 {
            entry["count"] = n.count.into();
        }
        (n.at, entry)
    });
    let mut timed: Vec<(Option<Time>, serde_json::Value)> =
        commands.chain(refused).chain(noted).collect();
    timed.sort_by_key(|(at, _)| *at);
    revisions.chain(timed.into_iter().map(|(_, e)| e)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kube_history::Noted;
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
            at: Some(Time::from_millis(id * 1000)),
        }
    }

    #[test]
    fn the_desired_revision_is_the_one_the_controller_last_saw() {
        let view = view_of(&rollout(), &BTreeMap::new(), Time::from_millis(0));
        assert_eq!(view.name, "checkout");
        assert_eq!(view.desired_revision, "5d4e8a");
    }

    #[test]
    fn history_lists_the_revisions_then_only_the_commands_not_yet_handled() {
        let queued = [request(7, "bo"), request(8, "alice (dashboard)")];
        let history = history_of(&rollout(), &queued, &RolloutEvents::default());
        let kinds: Vec<&str> = history.iter().filter_map(|e| e["type"].as_str()).collect();
        assert_eq!(kinds, ["revision", "revision", "command"]);
        assert_eq!(history[0]["is"], "stable");
        assert_eq!(history[2]["by"], "alice (dashboard)");
        assert_eq!(history[2]["id"], 8);
    }

    #[test]
    fn refusals_and_the_controllers_events_are_in_the_history_among_the_commands_by_time() {
        let refused = Refusal {
            at: Some(Time::from_millis(7_500)),
            command: "abort".into(),
            by: "mallory (dashboard)".into(),
            reason: "wrong bearer token".into(),
        };
        let aborted = Noted {
            at: Some(Time::from_millis(8_500)),
            reason: "RolloutAborted".into(),
            message: "analysis failed".into(),
            kind: "Warning".into(),
            count: 1,
        };
        let events = RolloutEvents {
            refusals: vec![refused],
            noted: vec![aborted],
        };
        let queued = [request(8, "alice (dashboard)"), request(9, "bo")];
        let history = history_of(&rollout(), &queued, &events);
        let kinds: Vec<&str> = history.iter().filter_map(|e| e["type"].as_str()).collect();
        assert_eq!(
            kinds,
            [
                "revision", "revision", "refused", "command", "event", "command"
            ]
        );
        assert_eq!(history[2]["by"], "mallory (dashboard)");
        assert_eq!(history[2]["reason"], "wrong bearer token");
        assert_eq!(history[4]["reason"], "RolloutAborted");
        assert_eq!(history[4]["eventType"], "Warning");
    }
}
