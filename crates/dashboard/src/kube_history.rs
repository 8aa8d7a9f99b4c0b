//! A Rollout's Kubernetes Events, as its history shows them: one list of
//! events.k8s.io/v1 Events with a field selector on what they regard
//! (`regarding.kind=Rollout,regarding.name=NAME,regarding.uid=UID`: the
//! Events of this Rollout, not of an earlier one of the same name), split
//! into the dashboard's refusals ([`crate::kube_events`]) and every other
//! Event about it — the controller's transitions, `CommandAccepted`,
//! aborts, analysis failures — with its reason, note and type. An Event
//! repeated as a series is dated by its last observation.

use k8s_openapi::api::events::v1::Event;
use kube::Api;
use kube::api::ListParams;
use serin_api::{Rollout, Time};

use crate::kube_events::refusal_of;
use crate::kube_view::Refusal;

/// An Event about a Rollout that is not one of the dashboard's refusals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Noted {
    /// When it was last observed.
    pub at: Option<Time>,
    /// Its reason (`RolloutAborted`, `CommandAccepted`).
    pub reason: String,
    /// Its note.
    pub message: String,
    /// `Normal` or `Warning`.
    pub kind: String,
    /// How many times it was observed (a series counts more than one).
    pub count: i32,
}

/// What a Rollout's Events say, each part oldest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RolloutEvents {
    /// The actions the dashboard refused.
    pub refusals: Vec<Refusal>,
    /// Every other Event about the Rollout.
    pub noted: Vec<Noted>,
}

/// The field selector of the Events about `rollout`.
pub fn selector(rollout: &Rollout) -> String {
    let name = rollout.metadata.name.as_deref().unwrap_or_default();
    let mut s = format!("regarding.kind=Rollout,regarding.name={name}");
    if let Some(uid) = &rollout.metadata.uid {
        s.push_str(&format!(",regarding.uid={uid}"));
    }
    s
}

/// The Events about `rollout` in `events`' namespace: one `list`.
///
/// # Errors
/// The API server refused or failed the list.
pub async fn list(events: &Api<Event>, rollout: &Rollout) -> Result<RolloutEvents, kube::Error> {
    let listed = events
        .list(&ListParams::default().fields(&selector(rollout)))
        .await?;
    Ok(split(&listed.items))
}

/// `items` split into refusals and the rest, each oldest first. Pure.
pub fn split(items: &[Event]) -> RolloutEvents {
    let mut out = RolloutEvents::default();
    for e in items {
        if let Some(r) = refusal_of(e) {
            out.refusals.push(r);
            continue;
        }
        out.noted.push(Noted {
            at: last_seen(e),
            reason: e.reason.clone().unwrap_or_default(),
            message: e.note.clone().unwrap_or_default(),
            kind: e.type_.clone().unwrap_or_else(|| "Normal".to_owned()),
            count: e.series.as_ref().map_or(1, |s| s.count),
        });
    }
    out.refusals.sort_by_key(|r| r.at);
    out.noted.sort_by_key(|n| n.at);
    out
}

/// When `e` was last observed: its series' last observation, else its
/// time, else the deprecated last timestamp, else its creation.
fn last_seen(e: &Event) -> Option<Time> {
    e.series
        .as_ref()
        .map(|s| Time(s.last_observed_time.0))
        .or_else(|| e.event_time.as_ref().map(|t| Time(t.0)))
        .or_else(|| e.deprecated_last_timestamp.as_ref().map(|t| Time(t.0)))
        .or_else(|| e.metadata.creation_timestamp.as_ref().map(|t| Time(t.0)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(value: serde_json::Value) -> Event {
        serde_json::from_value(value).expect("an event")
    }

    #[test]
    fn the_controllers_events_are_split_from_refusals_and_dated_by_their_last_observation() {
        let items = [
            event(
                json!({"metadata": {"name": "b"}, "eventTime": "2026-11-22T03:00:05.000000Z",
                "reason": "RolloutAborted", "note": "analysis failed", "type": "Warning"}),
            ),
            event(
                json!({"metadata": {"name": "a"}, "eventTime": "2026-11-22T03:00:00.000000Z",
                "reason": "StepCompleted", "note": "step 1", "type": "Normal",
                "series": {"count": 3, "lastObservedTime": "2026-11-22T03:00:09.000000Z"}}),
            ),
            event(json!({"metadata": {"name": "r", "annotations": {
                    "serin.dev/command": "abort", "serin.dev/by": "mallory", "serin.dev/reason": "no token"}},
                "eventTime": "2026-11-22T03:00:01.000000Z", "reason": "ActionRefused"})),
        ];
        let split = split(&items);
        assert_eq!(split.refusals.len(), 1);
        let reasons: Vec<&str> = split.noted.iter().map(|n| n.reason.as_str()).collect();
        assert_eq!(
            reasons,
            ["RolloutAborted", "StepCompleted"],
            "by last observation"
        );
        assert_eq!(split.noted[0].kind, "Warning");
        assert_eq!(split.noted[1].count, 3);
    }

    #[test]
    fn the_selector_names_the_rollout_by_kind_name_and_uid() {
        let rollout: Rollout = serde_json::from_value(json!({
            "apiVersion": "serin.dev/v1alpha1", "kind": "Rollout",
            "metadata": {"name": "web", "uid": "u-1"},
            "spec": {"strategy": {"canary": {}}},
        }))
        .expect("a rollout");
        assert_eq!(
            selector(&rollout),
            "regarding.kind=Rollout,regarding.name=web,regarding.uid=u-1"
        );
    }
}
