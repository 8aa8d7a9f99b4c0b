//! `serin up` when the new version is broken, end to end: replicas that
//! crash-loop, and a command that cannot start. Either way the release is
//! aborted, stable keeps serving, and `serin status` says why. The faults
//! hit v2 only: the command is a `sh -c` script that starts the reference
//! service normally for every other version.

#![allow(clippy::unwrap_used)]

mod daemon_support;

use std::time::{Duration, Instant};

use daemon_support::status::{healthy_on, phase};
use daemon_support::traffic::Traffic;
use daemon_support::{Daemon, rollout_yaml, serin_bin};

/// A canary rollout whose v2 runs `v2_script` (shell) instead of the plain
/// reference service; `$APP` in it is the reference service's command.
fn yaml_with_faulty_v2(marker: &str, listen: u16, v2_script: &str) -> String {
    let app = format!(
        "{} demo-app --port {{port}} --version {{version}} --instance {marker}-{{version}}-{{replica}}",
        serin_bin()
    );
    let script =
        format!("APP=\"{app}\"; if [ \"{{version}}\" = v2 ]; then {v2_script}; fi; exec $APP");
    let yaml = rollout_yaml(
        marker,
        listen,
        "",
        "    canary:\n      abortScaleDownDelaySeconds: 1\n      steps: [{setWeight: 50}, {pause: {}}]",
        "",
    );
    let command = yaml
        .lines()
        .find(|l| l.trim_start().starts_with("command:"))
        .unwrap()
        .to_owned();
    yaml.replace(&command, &format!("    command: [sh, -c, '{script}']"))
        .replace(
            "  replicas: 1\n",
            "  replicas: 1\n  progressDeadlineSeconds: 30\n",
        )
}

#[test]
fn given_a_canary_whose_replicas_crash_loop_then_it_is_aborted_within_the_progress_deadline_and_stable_keeps_serving()
 {
    let d =
        Daemon::start(|m, port| yaml_with_faulty_v2(m, port, "exec $APP --crash-after-seconds 1"));
    d.wait_view("v1 healthy", healthy_on("v1"));
    let stable_pids = d.replica_pids(Some("v1"));
    let traffic = Traffic::start(d.listen);

    let released = Instant::now();
    d.ok(&["set", "version", "web", "v2"]);
    let v = d.wait_view("the abort", |v| {
        phase(v) == "Aborted" && v["canaryWeight"] == 0 && v["trafficVerified"] == true
    });

    assert!(
        released.elapsed() < Duration::from_secs(30),
        "within the deadline"
    );
    let reason = v["abortReason"].as_str().unwrap_or("");
    assert!(reason.contains("v2 is crash-looping"), "{v:#}");
    let tally = traffic.finish();
    assert!(tally.ok.get("v1").copied().unwrap_or(0) > 0, "{tally:?}");
    assert!(d.versions(20).iter().all(|v| v == "v1"));
    assert_eq!(d.replica_pids(Some("v1")), stable_pids, "stable untouched");
}

#[test]
fn given_a_version_whose_command_cannot_start_then_stable_is_untouched_and_status_shows_its_last_stderr_lines()
 {
    let d = Daemon::start(|m, port| {
        yaml_with_faulty_v2(
            m,
            port,
            "echo loading config >&2; echo cannot read /etc/web/v2.toml: no such file >&2; exit 1",
        )
    });
    d.wait_view("v1 healthy", healthy_on("v1"));
    let stable_pids = d.replica_pids(Some("v1"));
    let traffic = Traffic::start(d.listen);

    d.ok(&["set", "version", "web", "v2"]);
    let v = d.wait_view("the abort", |v| phase(v) == "Aborted");

    let reason = v["abortReason"].as_str().unwrap_or("");
    assert!(reason.contains("v2 cannot start"), "{v:#}");
    assert!(
        reason.contains("cannot read /etc/web/v2.toml: no such file"),
        "{v:#}"
    );
    let text = d.ok(&["status", "web"]);
    assert!(
        text.contains("cannot read /etc/web/v2.toml: no such file"),
        "{text}"
    );
    let tally = traffic.finish();
    assert!(tally.failed.is_empty(), "{tally:?}");
    assert_eq!(tally.ok.keys().collect::<Vec<_>>(), ["v1"], "{tally:?}");
    assert_eq!(d.replica_pids(Some("v1")), stable_pids, "stable untouched");
}
