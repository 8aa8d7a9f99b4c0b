//! Property tests of a rollout being deleted: over random observations the
//! plan sends all traffic to stable first and, unless a routing object is
//! gone already, does nothing else until the router reports it; it scales
//! only the other versions and only to zero, ends with `RestoreRouting`
//! then `Finalize`, and touches no step, command or analysis; a router
//! that reports what it was sent lets it finish in two passes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use proptest::prelude::*;
use serin_api::status::Traffic;
use serin_api::{Command, CommandRequest, RolloutSpec, RolloutStatus, Time};
use serin_engine::{Action, Deleting, Observed, Plan, VersionState, plan};

const NOW: i64 = 1_800_000_000_000;

fn spec() -> RolloutSpec {
    serde_json::from_value(serde_json::json!({
        "replicas": 3,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {"metadata": {"labels": {"app": "web"}}},
        "strategy": {"canary": {"stableService": "web-stable", "canaryService": "web-canary",
            "analysis": {"templates": [{"templateName": "bg"}]},
            "steps": [{"setWeight": 30}, {"pause": {}}, {"setWeight": 60}]}}
    }))
    .unwrap()
}

fn name(i: usize) -> String {
    format!("v{i}")
}

prop_compose! {
    fn deleting_world()(
        stable in prop::option::of(0usize..3),
        current in 0usize..3,
        replicas in prop::collection::vec(0u32..5, 3),
        traffic in prop::option::of((0usize..3, prop::option::of(0usize..3), 0i32..=100)),
        gone in any::<bool>(),
        command in any::<bool>(),
    ) -> Observed {
        let versions: BTreeMap<String, VersionState> = replicas
            .iter()
            .enumerate()
            .map(|(i, &r)| (name(i), VersionState { replicas: r, ready: r, ..VersionState::default() }))
            .collect();
        Observed {
            status: RolloutStatus {
                stable_revision: stable.map(name),
                current_revision: Some(name(current)),
                current_step_index: Some(1),
                ..RolloutStatus::default()
            },
            desired_revision: name(current),
            versions,
            traffic: traffic.map(|(s, c, w)| Traffic {
                stable: Some(name(s)),
                canary: c.map(name),
                canary_weight: if c.is_some() { w } else { 0 },
                ..Traffic::default()
            }),
            commands: if command {
                vec![CommandRequest { id: 1, command: Command::Abort, by: "someone".into(), at: None }]
            } else {
                Vec::new()
            },
            deleting: Some(Deleting {
                routing_gone: if gone { vec!["Service default/web-canary".into()] } else { Vec::new() },
            }),
            ..Observed::default()
        }
    }
}

/// All traffic on `stable`, nothing else.
fn home(stable: &str) -> Traffic {
    Traffic {
        stable: Some(stable.into()),
        ..Traffic::default()
    }
}

fn check(obs: &Observed, p: &Plan) -> Result<(), TestCaseError> {
    let stable = obs.status.stable_revision.clone();
    // Nothing of a live rollout: no step, command, analysis or event.
    prop_assert_eq!(p.status.current_step_index, obs.status.current_step_index);
    prop_assert_eq!(p.status.last_command_id, obs.status.last_command_id);
    for a in &p.actions {
        prop_assert!(
            matches!(
                a,
                Action::SetTraffic { .. }
                    | Action::Scale { .. }
                    | Action::RestoreRouting
                    | Action::Finalize
            ),
            "{a:?} while deleting"
        );
    }
    // A SetTraffic comes first, sends everything to stable, and comes
    // alone unless a routing object is gone (then it is not waited for).
    let gone = !obs.deleting.as_ref().unwrap().routing_gone.is_empty();
    let mut rest = p.actions.as_slice();
    if let Some(Action::SetTraffic { traffic }) = p.actions.first() {
        let stable = stable.as_deref().unwrap();
        prop_assert_eq!(traffic, &home(stable));
        if !gone {
            prop_assert_eq!(p.actions.len(), 1);
            return Ok(());
        }
        rest = &rest[1..];
    }
    // Then the traffic is on stable (or cannot be moved): the other
    // versions go to zero, then the routing is restored, then it is let go.
    let settled = stable.is_none() || gone || obs.traffic == stable.as_deref().map(home);
    prop_assert!(settled, "went on with traffic {:?}", obs.traffic);
    let n = rest.len();
    prop_assert!(n >= 2);
    prop_assert_eq!(&rest[n - 2], &Action::RestoreRouting);
    prop_assert_eq!(&rest[n - 1], &Action::Finalize);
    for a in &rest[..n - 2] {
        let Action::Scale { revision, replicas } = a else {
            return Err(TestCaseError::fail(format!("{a:?} before the restore")));
        };
        prop_assert_eq!(*replicas, 0);
        prop_assert!(Some(revision) != stable.as_ref(), "the stable scaled down");
    }
    for (revision, v) in &obs.versions {
        let scaled = p
            .actions
            .iter()
            .any(|a| matches!(a, Action::Scale { revision: r, .. } if r == revision));
        let expected = stable.is_some() && Some(revision) != stable.as_ref() && v.replicas > 0;
        prop_assert_eq!(scaled, expected, "{}", revision);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    #[test]
    fn deletion_sends_traffic_home_before_anything_is_scaled_down(obs in deleting_world()) {
        let p = plan(&spec(), &obs, Time::from_millis(NOW));
        check(&obs, &p)?;
    }

    #[test]
    fn a_router_that_reports_what_it_was_sent_lets_deletion_finish_in_two_passes(mut obs in deleting_world()) {
        for _ in 0..2 {
            let p = plan(&spec(), &obs, Time::from_millis(NOW));
            check(&obs, &p)?;
            if p.actions.last() == Some(&Action::Finalize) {
                return Ok(());
            }
            for a in &p.actions {
                if let Action::SetTraffic { traffic } = a {
                    obs.traffic = Some(traffic.clone());
                }
            }
        }
        prop_assert!(false, "not finalized after two passes");
    }
}
