//! The read model: steps marked, pause time left, weights drawn as bars.
#![allow(clippy::unwrap_used)]

use serin_api::{RolloutSpec, RolloutStatus, Time};
use serin_view::{ArmNumbers, Inputs, build, render, weight_bar};

fn spec() -> RolloutSpec {
    serde_json::from_value(serde_json::json!({
        "local": {"command": ["app"], "version": "v1"},
        "strategy": {"canary": {"steps": [
            {"setWeight": 20}, {"pause": {"duration": "30s"}}, {"setWeight": 50}, {"pause": {}}
        ]}}
    }))
    .unwrap()
}

fn status_at_timed_pause(started_ms: i64) -> RolloutStatus {
    serde_json::from_value(serde_json::json!({
        "phase": "Paused",
        "currentStepIndex": 1,
        "stepDisplay": "1/4",
        "stableRevision": "v1",
        "currentRevision": "v2",
        "traffic": {"stable": "v1", "canary": "v2", "canaryWeight": 20},
        "trafficVerified": true,
        "stepStartedAt": Time::from_millis(started_ms),
        "pauseConditions": [{"reason": "CanaryPauseStep", "startTime": Time::from_millis(started_ms)}]
    }))
    .unwrap()
}

#[test]
fn given_a_canary_in_a_timed_pause_the_view_marks_the_step_and_the_time_left() {
    let spec = spec();
    let status = status_at_timed_pause(1_000_000);
    let view = build(Inputs {
        name: "web",
        spec: &spec,
        status: &status,
        desired_revision: "v2",
        arms: vec![ArmNumbers {
            arm: "canary".into(),
            version: "v2".into(),
            requests_per_second: 12.5,
            error_rate: Some(0.01),
            p99_ms: Some(4.0),
        }],
        runs: Vec::new(),
        now: Time::from_millis(1_010_000),
    });
    assert_eq!(view.steps.iter().filter(|s| s.current).count(), 1);
    assert!(view.steps[1].current && view.steps[0].done && !view.steps[2].done);
    assert_eq!(view.pause_left_ms, Some(20_000));
    let text = render(&view);
    assert!(
        text.contains("stable v1 ████████░░ 80% | canary v2 ██░░░░░░░░ 20%"),
        "{text}"
    );
    assert!(text.contains("▶ 2. pause 30s  (20s left)"), "{text}");
    assert!(text.contains("12.5 req/s"), "{text}");
}

#[test]
fn given_no_release_no_step_is_current() {
    let spec = spec();
    let status: RolloutStatus = serde_json::from_value(serde_json::json!({
        "phase": "Healthy", "currentStepIndex": 4, "stableRevision": "v1", "currentRevision": "v1",
        "traffic": {"stable": "v1"}
    }))
    .unwrap();
    let view = build(Inputs {
        name: "web",
        spec: &spec,
        status: &status,
        desired_revision: "v1",
        arms: Vec::new(),
        runs: Vec::new(),
        now: Time::from_millis(0),
    });
    assert!(view.steps.iter().all(|s| !s.current));
    assert!(render(&view).contains("stable v1 ██████████ 100%"));
}

#[test]
fn weight_bars_round_to_the_nearest_cell() {
    assert_eq!(weight_bar(0), "░░░░░░░░░░");
    assert_eq!(weight_bar(100), "██████████");
    assert_eq!(weight_bar(5), "█░░░░░░░░░");
    assert_eq!(weight_bar(33), "███░░░░░░░");
}

#[test]
fn while_a_person_pauses_the_time_left_in_a_timed_pause_stands_still() {
    let spec = spec();
    let mut status = status_at_timed_pause(1_000_000);
    status.user_paused_at = Some(Time::from_millis(1_005_000));
    let view = build(Inputs {
        name: "web",
        spec: &spec,
        status: &status,
        desired_revision: "v2",
        arms: Vec::new(),
        runs: Vec::new(),
        now: Time::from_millis(1_060_000),
    });
    assert_eq!(view.pause_left_ms, Some(25_000));
}
