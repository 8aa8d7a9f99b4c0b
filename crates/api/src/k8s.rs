//! The names serin writes on Kubernetes objects, shared by the controller,
//! the traffic routers and the `serin` command, and the command queue a
//! Rollout carries in an annotation (how `serin promote` and friends reach
//! the controller through the Rollout object, so that GitOps tools see an
//! ordinary annotation and nothing else).

use crate::command::CommandRequest;

/// The label (on ReplicaSets, their pods and Service selectors) holding the
/// revision: the hash serin computes of a pod template.
pub const POD_TEMPLATE_HASH_LABEL: &str = "serin.dev/pod-template-hash";
/// The label naming the Rollout an object belongs to (ReplicaSets,
/// AnalysisRuns, objects a router creates).
pub const ROLLOUT_LABEL: &str = "serin.dev/rollout";
/// The annotation on a ReplicaSet holding its revision number (1, 2, ...).
pub const REVISION_ANNOTATION: &str = "serin.dev/revision";
/// The annotation on a Rollout holding the commands not yet handled: a JSON
/// array of [`CommandRequest`], ids increasing.
pub const COMMANDS_ANNOTATION: &str = "serin.dev/commands";
/// The annotation on an AnalysisRun naming the engine's run (the object's
/// name is `<rollout>-<run>`, cut to fit).
pub const RUN_ANNOTATION: &str = "serin.dev/run";
/// The annotation on an object a router changed, holding what serin found
/// there before (JSON), so that finalization can put it back.
pub const ORIGINAL_ANNOTATION: &str = "serin.dev/original";
/// The annotation on an object a router wrote, holding the traffic (JSON)
/// it was made to carry, for the router's read-back.
pub const TRAFFIC_ANNOTATION: &str = "serin.dev/traffic";
/// The finalizer that holds a Rollout being deleted until all traffic is
/// back on stable and the routing objects are as they were.
pub const FINALIZER: &str = "serin.dev/traffic";
/// The field manager serin writes with.
pub const FIELD_MANAGER: &str = "serin";

/// The commands in a Rollout's [`COMMANDS_ANNOTATION`]; none when absent.
///
/// # Errors
/// The annotation is not a JSON array of commands; the message says why.
pub fn parse_commands(annotation: Option<&str>) -> Result<Vec<CommandRequest>, String> {
    match annotation.map(str::trim) {
        None | Some("") => Ok(Vec::new()),
        Some(text) => {
            serde_json::from_str(text).map_err(|e| format!("annotation {COMMANDS_ANNOTATION}: {e}"))
        }
    }
}

/// The id the next command takes: above every queued one and above the
/// last one handled.
pub fn next_command_id(queued: &[CommandRequest], last_handled: i64) -> i64 {
    queued.iter().map(|c| c.id).fold(last_handled, i64::max) + 1
}

/// The queue with the commands at or below `last_handled` taken out.
pub fn pending_commands(queued: &[CommandRequest], last_handled: i64) -> Vec<CommandRequest> {
    queued
        .iter()
        .filter(|c| c.id > last_handled)
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Command;

    fn cmd(id: i64) -> CommandRequest {
        CommandRequest {
            id,
            command: Command::Promote,
            by: "ana".into(),
            at: None,
        }
    }

    #[test]
    fn an_absent_or_empty_annotation_is_an_empty_queue() {
        assert_eq!(parse_commands(None), Ok(vec![]));
        assert_eq!(parse_commands(Some(" ")), Ok(vec![]));
    }

    #[test]
    fn a_queue_round_trips_through_its_annotation_text() {
        let text = serde_json::to_string(&vec![cmd(3)]).expect("serializes");
        assert_eq!(parse_commands(Some(&text)), Ok(vec![cmd(3)]));
        assert!(text.contains(r#""command":"promote""#), "{text}");
    }

    #[test]
    fn a_broken_annotation_is_an_error_naming_it() {
        let e = parse_commands(Some("{")).expect_err("not a list");
        assert!(e.starts_with("annotation serin.dev/commands:"), "{e}");
    }

    #[test]
    fn the_next_id_is_above_both_the_queue_and_the_handled_ones() {
        assert_eq!(next_command_id(&[], 0), 1);
        assert_eq!(next_command_id(&[cmd(4)], 2), 5);
        assert_eq!(next_command_id(&[cmd(1)], 7), 8);
        assert_eq!(pending_commands(&[cmd(1), cmd(2)], 1), vec![cmd(2)]);
    }
}
