//! The `notifications:` section: defaults, and every refusal naming its
//! field path.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use serin_engine::EventReason;
use serin_notify::{Config, SinkKind};

fn error(yaml: &str) -> String {
    Config::from_yaml(yaml).unwrap_err().to_string()
}

#[test]
fn a_minimal_sink_gets_the_defaults() {
    let c = Config::from_yaml(
        "notifications:\n  sinks: [{name: team, type: slack, url: 'https://hooks.example/x'}]\n",
    )
    .unwrap();
    assert_eq!(c.queue_size, 1000);
    let s = &c.sinks[0];
    assert_eq!(s.kind, SinkKind::Slack);
    assert!(s.takes(EventReason::CommandAccepted));
    assert_eq!(
        (s.attempts, s.timeout, s.backoff),
        (4, Duration::from_secs(5), Duration::from_secs(1))
    );
}

#[test]
fn an_event_filter_takes_only_its_events() {
    let c = Config::from_yaml(
        "notifications:\n  sinks: [{name: a, type: webhook, url: 'http://x/', events: [RolloutAborted]}]\n",
    )
    .unwrap();
    assert!(c.sinks[0].takes(EventReason::RolloutAborted));
    assert!(!c.sinks[0].takes(EventReason::RolloutStarted));
}

#[test]
fn an_unknown_placeholder_is_refused_with_the_field_path_and_its_name() {
    let e = error(
        "notifications:\n  sinks:\n    - {name: a, type: webhook, url: 'http://x/'}\n    - {name: b, type: slack, url: 'http://x/', template: '{rollout} {versoin}'}\n",
    );
    assert!(
        e.starts_with("notifications.sinks[1].template: unknown placeholder {versoin}"),
        "{e}"
    );
}

#[test]
fn structural_errors_name_the_field_path() {
    let e = error("notifications:\n  sinks: [{name: a, type: email, url: 'http://x/'}]\n");
    assert!(
        e.starts_with("notifications.sinks[0].type: unknown variant `email`"),
        "{e}"
    );
    let e = error(
        "notifications:\n  sinks: [{name: a, type: slack, url: 'http://x/', events: [RolloutStartd]}]\n",
    );
    assert!(
        e.starts_with("notifications.sinks[0].events[0]: unknown variant `RolloutStartd`"),
        "{e}"
    );
    let e =
        error("notifications:\n  sinks: [{name: a, type: slack, url: 'http://x/', retries: 3}]\n");
    assert!(
        e.starts_with("notifications.sinks[0].retries: unknown field `retries`"),
        "{e}"
    );
    let e = error("notification:\n  sinks: []\n");
    assert!(e.contains("unknown field `notification`"), "{e}");
}

#[test]
fn values_out_of_range_are_refused_with_the_field_path() {
    let sink = |extra: &str| {
        error(&format!(
            "notifications:\n  sinks: [{{name: a, type: webhook, url: 'http://x/'{extra}}}]\n"
        ))
    };
    assert_eq!(
        sink(", attempts: 0"),
        "notifications.sinks[0].attempts: must be between 1 and 20"
    );
    assert!(
        sink(", timeout: soon")
            .starts_with("notifications.sinks[0].timeout: 'soon' is not a duration")
    );
    assert_eq!(
        sink(", timeout: 0s"),
        "notifications.sinks[0].timeout: must be more than 0"
    );
    assert_eq!(
        sink(", blocks: true"),
        "notifications.sinks[0].blocks: only a slack sink sends blocks"
    );
    assert_eq!(
        sink(", headers: {'bad header': x}"),
        "notifications.sinks[0].headers.bad header: is not a header name"
    );
    let url = error("notifications:\n  sinks: [{name: a, type: webhook, url: 'ftp://x/'}]\n");
    assert_eq!(url, "notifications.sinks[0].url: must be http or https");
    let e = error("notifications:\n  queueSize: 0\n  sinks: []\n");
    assert_eq!(e, "notifications.queueSize: must be at least 1");
}

#[test]
fn two_sinks_may_not_share_a_name() {
    let e = error(
        "notifications:\n  sinks:\n    - {name: a, type: webhook, url: 'http://x/'}\n    - {name: a, type: slack, url: 'http://y/'}\n",
    );
    assert_eq!(e, "notifications.sinks[1].name: 'a' names another sink too");
}
