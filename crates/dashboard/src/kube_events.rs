//! Actions the dashboard refused, on Kubernetes: each is a Warning Event
//! (events.k8s.io/v1, reason `ActionRefused`) about the Rollout, so that
//! `kubectl events --for rollout/NAME` shows it next to the controller's
//! Events (the history lists both with one field-selected `list`,
//! [`crate::kube_history`]), labelled `serin.dev/rollout=NAME` and
//! `serin.dev/refused=true`, and carrying the action, who asked and why in
//! annotations. Their lifetime is the API server's Event TTL (one hour by
//! default).

use std::collections::BTreeMap;

use k8s_openapi::api::events::v1::Event;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use kube::api::PostParams;
use kube::{Api, Resource};
use serin_api::k8s::ROLLOUT_LABEL;
use serin_api::{Rollout, Time};

use crate::kube_view::Refusal;

/// The label marking the dashboard's refusal Events.
pub const REFUSED_LABEL: &str = "serin.dev/refused";
/// The Event's reason.
pub const REASON: &str = "ActionRefused";
/// Who reports the Events.
const CONTROLLER: &str = "serin.dev/dashboard";
const COMMAND: &str = "serin.dev/command";
const BY: &str = "serin.dev/by";
const WHY: &str = "serin.dev/reason";

/// The Event recording that `refusal` was refused, about `rollout`.
pub fn event(rollout: &Rollout, refusal: &Refusal, now: Time) -> Event {
    let name = rollout.metadata.name.clone().unwrap_or_default();
    let note = format!(
        "{} by {} refused: {}",
        refusal.command, refusal.by, refusal.reason
    );
    Event {
        metadata: ObjectMeta {
            generate_name: Some(format!("{name}.refused.")),
            namespace: rollout.metadata.namespace.clone(),
            labels: Some(BTreeMap::from([
                (ROLLOUT_LABEL.to_owned(), name),
                (REFUSED_LABEL.to_owned(), "true".to_owned()),
            ])),
            annotations: Some(BTreeMap::from([
                (COMMAND.to_owned(), refusal.command.clone()),
                (BY.to_owned(), refusal.by.clone()),
                (WHY.to_owned(), refusal.reason.clone()),
            ])),
            ..ObjectMeta::default()
        },
        event_time: Some(MicroTime(now.0)),
        action: Some("Refuse".to_owned()),
        reason: Some(REASON.to_owned()),
        type_: Some("Warning".to_owned()),
        note: Some(note.chars().take(1024).collect()),
        regarding: Some(rollout.object_ref(&())),
        reporting_controller: Some(CONTROLLER.to_owned()),
        reporting_instance: Some(instance()),
        ..Event::default()
    }
}

/// This dashboard, as the Events' reporting instance.
fn instance() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_default();
    let id = std::process::id();
    let me = if host.is_empty() {
        format!("serin-dashboard-{id}")
    } else {
        format!("serin-dashboard-{host}-{id}")
    };
    me.chars().take(128).collect()
}

/// The refusal an Event records, if it is one of the dashboard's.
pub fn refusal_of(event: &Event) -> Option<Refusal> {
    let a = event.metadata.annotations.as_ref()?;
    Some(Refusal {
        at: event.event_time.as_ref().map(|t| Time(t.0)),
        command: a.get(COMMAND)?.clone(),
        by: a.get(BY).cloned().unwrap_or_default(),
        reason: a.get(WHY).cloned().unwrap_or_default(),
    })
}

/// Creates the Event of `refusal` about `rollout`.
pub async fn record(
    events: &Api<Event>,
    rollout: &Rollout,
    refusal: &Refusal,
    now: Time,
) -> Result<(), kube::Error> {
    events
        .create(&PostParams::default(), &event(rollout, refusal, now))
        .await
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_event_is_a_warning_about_the_rollout_and_reads_back_as_the_refusal() {
        let rollout: Rollout = serde_json::from_value(serde_json::json!({
            "apiVersion": "serin.dev/v1alpha1", "kind": "Rollout",
            "metadata": {"name": "checkout", "namespace": "shop", "uid": "u-1"},
            "spec": {"strategy": {"canary": {"steps": []}}},
        }))
        .expect("a rollout");
        let refusal = Refusal {
            at: Some(Time::from_millis(1_800_000_000_000)),
            command: "abort".into(),
            by: "mallory (dashboard)".into(),
            reason: "wrong bearer token".into(),
        };
        let e = event(&rollout, &refusal, Time::from_millis(1_800_000_000_000));
        assert_eq!(e.type_.as_deref(), Some("Warning"));
        assert_eq!(
            e.note.as_deref(),
            Some("abort by mallory (dashboard) refused: wrong bearer token")
        );
        let about = e.regarding.as_ref().expect("regarding");
        assert_eq!(
            (
                about.kind.as_deref(),
                about.name.as_deref(),
                about.uid.as_deref()
            ),
            (Some("Rollout"), Some("checkout"), Some("u-1"))
        );
        assert_eq!(refusal_of(&e), Some(refusal));
    }
}
