//! Zero failed client requests through every kind of switch, end to end: a
//! load generator sends requests back to back through a full blue-green
//! switch, a canary promotion and an abort, until the old version's
//! replicas are gone, and counts every answer.

#![allow(clippy::unwrap_used)]

mod daemon_support;

use daemon_support::status::{healthy_on, phase};
use daemon_support::traffic::Traffic;
use daemon_support::{Daemon, canary_yaml, free_port, rollout_yaml, wait_for};

fn gone(d: &Daemon, version: &str) {
    wait_for("the old version's replicas to stop", || {
        d.replica_pids(Some(version)).is_empty().then_some(())
    });
}

#[test]
fn a_full_blue_green_switch_fails_no_client_request() {
    let preview = free_port();
    let d = Daemon::start(|m, port| {
        rollout_yaml(
            m,
            port,
            &format!("    previewListen: 127.0.0.1:{preview}\n"),
            "    blueGreen:\n      autoPromotionSeconds: 1\n      scaleDownDelaySeconds: 1",
            "",
        )
    });
    d.wait_view("v1 healthy", healthy_on("v1"));
    let traffic = Traffic::start(d.listen);

    d.ok(&["set", "version", "web", "v2"]);
    d.wait_view("v2 promoted", healthy_on("v2"));
    gone(&d, "v1");

    let tally = traffic.finish();
    assert!(tally.failed.is_empty(), "{tally:?}");
    assert!(tally.ok.get("v1").is_some_and(|n| *n > 0), "{tally:?}");
    assert!(tally.ok.get("v2").is_some_and(|n| *n > 0), "{tally:?}");
}

#[test]
fn a_canary_promotion_and_an_abort_fail_no_client_request() {
    let d = Daemon::start(|m, port| {
        canary_yaml(
            m,
            port,
            "[{setWeight: 50}, {pause: {}}]",
            "      scaleDownDelaySeconds: 1\n      abortScaleDownDelaySeconds: 1\n",
        )
    });
    d.wait_view("v1 healthy", healthy_on("v1"));
    let traffic = Traffic::start(d.listen);

    d.ok(&["set", "version", "web", "v2"]);
    d.wait_view("the canary at 50%", |v| {
        phase(v) == "Paused" && v["canaryWeight"] == 50 && v["trafficVerified"] == true
    });
    d.ok(&["promote", "web"]);
    d.wait_view("v2 promoted", healthy_on("v2"));
    gone(&d, "v1");

    d.ok(&["set", "version", "web", "v3"]);
    d.wait_view("the canary v3 at 50%", |v| {
        phase(v) == "Paused" && v["canary"] == "v3" && v["trafficVerified"] == true
    });
    d.ok(&["abort", "web"]);
    d.wait_view("the abort in effect", |v| {
        phase(v) == "Aborted" && v["canaryWeight"] == 0 && v["trafficVerified"] == true
    });
    gone(&d, "v3");

    let tally = traffic.finish();
    assert!(tally.failed.is_empty(), "{tally:?}");
    for v in ["v1", "v2", "v3"] {
        assert!(tally.ok.get(v).is_some_and(|n| *n > 0), "{v}: {tally:?}");
    }
}
