//! The daemon killed with SIGKILL at five points of a rollout and started
//! again, end to end: right after `set version`, at the first weight,
//! during a timed pause, during analysis, and right after promotion before
//! the old version is scaled down. Each time the release finishes as it
//! would have (v2 promoted, no abort, v1's replicas gone) and no client
//! request fails except while the daemon — and with it the proxy — is down.

#![allow(clippy::unwrap_used)]

mod daemon_support;

use daemon_support::status::{current_step, phase};
use daemon_support::traffic::Traffic;
use daemon_support::{Daemon, canary_yaml, wait_for};
use serde_json::Value;

const TEMPLATE: &str = r#"---
apiVersion: serin.dev/v1alpha1
kind: AnalysisTemplate
metadata:
  name: canary-ok
spec:
  metrics:
    - name: success
      interval: 500ms
      count: 3
      successCondition: result >= 0.99
      provider:
        builtin:
          metric: successRate
"#;

/// Where the daemon is killed: a name and when the view (and the
/// processes) show that point.
type Point = (&'static str, fn(&Daemon, &Value) -> bool);

const POINTS: &[Point] = &[
    ("right after set version", |_, _| true),
    ("at the first weight", |_, v| {
        current_step(v) <= Some(1) && v["canaryWeight"] == 25 && v["trafficVerified"] == true
    }),
    ("during the timed pause", |_, v| {
        current_step(v) == Some(1)
            && v["pauseLeftMs"]
                .as_u64()
                .is_some_and(|ms| (300..1500).contains(&ms))
    }),
    ("during analysis", |_, v| {
        current_step(v) == Some(2)
            && v["analysis"]
                .as_array()
                .is_some_and(|a| a.iter().any(|r| r["phase"] == "Running"))
    }),
    ("right after promotion, v1 not yet scaled down", |d, v| {
        phase(v) == "Healthy" && v["stable"] == "v2" && !d.replica_pids(Some("v1")).is_empty()
    }),
];

#[test]
fn a_daemon_killed_at_any_of_five_points_of_a_rollout_and_restarted_finishes_it_without_failing_a_request()
 {
    for (point, reached) in POINTS {
        let mut d = Daemon::start(|m, port| {
            format!(
                "{}{TEMPLATE}",
                canary_yaml(
                    m,
                    port,
                    "[{setWeight: 25}, {pause: {duration: 2s}}, {analysis: {templates: [{templateName: canary-ok}]}}, {setWeight: 75}]",
                    "      scaleDownDelaySeconds: 2\n",
                )
            )
        });
        d.wait_view("v1 healthy", |v| {
            phase(v) == "Healthy" && v["stable"] == "v1" && v["trafficVerified"] == true
        });
        let traffic = Traffic::start(d.listen);
        d.ok(&["set", "version", "web", "v2"]);
        d.wait_view(point, |v| reached(&d, v));

        traffic.down(true);
        d.kill9();
        d.spawn();
        traffic.down(false);

        d.wait_view("v2 promoted", |v| {
            phase(v) == "Healthy" && v["stable"] == "v2" && v["trafficVerified"] == true
        });
        wait_for("v1's replicas to stop", || {
            d.replica_pids(Some("v1")).is_empty().then_some(())
        });
        let tally = traffic.finish();
        assert!(tally.failed.is_empty(), "killed {point}: {tally:?}");
        assert!(
            tally.ok.get("v2").is_some_and(|n| *n > 0),
            "killed {point}: {tally:?}"
        );
        let history = d.ok(&["history", "web"]);
        assert!(
            !history.contains("RolloutAborted"),
            "killed {point}: {history}"
        );
        assert!(
            history.contains("(Step) Successful"),
            "killed {point}: {history}"
        );
    }
}
