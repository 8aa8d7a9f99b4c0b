//! Property tests of a `workloadRef` Deployment's scale-down: over random
//! observations and over a release that comes up one replica at a time,
//! `never` never touches it, `onsuccess` takes it to zero only once the
//! rollout is Healthy on the revision asked for, `progressively` keeps the
//! Deployment and the rollout together at the replicas asked for, and no
//! mode ever scales the Deployment up.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use serin_api::rollout::WorkloadScaleDown;
use serin_api::status::{RolloutPhase, Traffic};
use serin_api::{RolloutSpec, RolloutStatus, Time};
use serin_engine::{Action, Observed, Plan, VersionState, WorkloadState, plan};

fn spec(replicas: u32, scale_down: Option<WorkloadScaleDown>) -> RolloutSpec {
    let mode = scale_down.map_or(serde_json::Value::Null, |m| {
        serde_json::to_value(m).unwrap()
    });
    serde_json::from_value(serde_json::json!({
        "replicas": replicas,
        "selector": {"matchLabels": {"app": "api"}},
        "workloadRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "api", "scaleDown": mode},
        "strategy": {"canary": {"stableService": "api-stable", "canaryService": "api-canary",
            "steps": [{"setWeight": 50}, {"pause": {"duration": "10s"}}]}}
    }))
    .unwrap()
}

fn mode() -> impl Strategy<Value = Option<WorkloadScaleDown>> {
    prop_oneof![
        Just(None),
        Just(Some(WorkloadScaleDown::Never)),
        Just(Some(WorkloadScaleDown::Onsuccess)),
        Just(Some(WorkloadScaleDown::Progressively)),
    ]
}

/// The replicas a plan asks of the Deployment, if it asks.
fn asked(p: &Plan) -> Option<u32> {
    let mut asks = p.actions.iter().filter_map(|a| match a {
        Action::ScaleWorkload { replicas } => Some(*replicas),
        _ => None,
    });
    let first = asks.next();
    assert!(
        asks.next().is_none(),
        "two ScaleWorkload in {:?}",
        p.actions
    );
    first
}

/// Every promise of `scaleDown`, for one pass.
fn check(
    spec: &RolloutSpec,
    obs: &Observed,
    p: &Plan,
    mode: Option<WorkloadScaleDown>,
) -> Result<(), TestCaseError> {
    let Some(has) = obs.workload.as_ref().map(|w| w.replicas) else {
        prop_assert_eq!(asked(p), None, "no Deployment observed, yet scaled");
        return Ok(());
    };
    let Some(want) = asked(p) else {
        return Ok(());
    };
    prop_assert!(want < has, "the Deployment scaled up from {has} to {want}");
    match mode.unwrap_or(WorkloadScaleDown::Never) {
        WorkloadScaleDown::Never => prop_assert!(false, "scaleDown never, yet scaled"),
        WorkloadScaleDown::Onsuccess => {
            prop_assert_eq!(want, 0);
            prop_assert_eq!(p.status.phase, Some(RolloutPhase::Healthy));
            prop_assert_eq!(
                p.status.stable_revision.as_deref(),
                Some(obs.desired_revision.as_str())
            );
        }
        WorkloadScaleDown::Progressively => {
            let available = u32::try_from(p.status.available_replicas).unwrap();
            prop_assert!(
                want + available >= spec.replicas().min(has + available),
                "{want} in the Deployment and {available} available, below {}",
                spec.replicas()
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn scale_down_keeps_its_promises_over_random_observations(
        mode in mode(),
        replicas in 1u32..6,
        deployment in prop::option::of(0u32..8),
        stable_ready in 0u32..6,
        canary_ready in 0u32..6,
        releasing in any::<bool>(),
        verified in any::<bool>(),
    ) {
        let spec = spec(replicas, mode);
        let mut versions = std::collections::BTreeMap::from([(
            "v1".to_owned(),
            VersionState { replicas, ready: stable_ready.min(replicas), ..VersionState::default() },
        )]);
        if releasing {
            versions.insert("v2".into(), VersionState { replicas: 1, ready: canary_ready.min(1), ..VersionState::default() });
        }
        let obs = Observed {
            status: RolloutStatus {
                stable_revision: Some("v1".into()),
                current_revision: Some(if releasing { "v2" } else { "v1" }.into()),
                current_step_index: Some(if releasing { 0 } else { 2 }),
                ..RolloutStatus::default()
            },
            desired_revision: if releasing { "v2" } else { "v1" }.into(),
            versions,
            traffic: verified.then(|| Traffic { stable: Some("v1".into()), ..Traffic::default() }),
            workload: deployment.map(|replicas| WorkloadState { replicas }),
            ..Observed::default()
        };
        let p = plan(&spec, &obs, Time::from_millis(1_800_000_000_000));
        check(&spec, &obs, &p, mode)?;
    }
}

/// A first revision coming up one replica per pass beside a Deployment of
/// the same size: every pass keeps the promises, and the Deployment ends
/// at zero except with `never` (or no `scaleDown`).
#[test]
fn a_deployment_hands_over_to_the_rollout_as_its_replicas_come_up() {
    for mode in [
        None,
        Some(WorkloadScaleDown::Never),
        Some(WorkloadScaleDown::Onsuccess),
        Some(WorkloadScaleDown::Progressively),
    ] {
        let spec = spec(4, mode);
        let mut obs = Observed {
            desired_revision: "v1".into(),
            workload: Some(WorkloadState { replicas: 4 }),
            ..Observed::default()
        };
        let mut now = Time::from_millis(1_800_000_000_000);
        for _ in 0..12 {
            let p = plan(&spec, &obs, now);
            check(&spec, &obs, &p, mode).unwrap();
            for a in &p.actions {
                match a {
                    Action::SetTraffic { traffic } => obs.traffic = Some(traffic.clone()),
                    Action::Scale { revision, replicas } => {
                        obs.versions.entry(revision.clone()).or_default().replicas = *replicas;
                    }
                    Action::ScaleWorkload { replicas } => {
                        obs.workload = Some(WorkloadState {
                            replicas: *replicas,
                        });
                    }
                    _ => {}
                }
            }
            obs.status = p.status;
            for v in obs.versions.values_mut() {
                v.ready = (v.ready + 1).min(v.replicas);
            }
            now = now.plus_millis(1_000);
        }
        let left = obs.workload.map(|w| w.replicas);
        let expected = match mode.unwrap_or(WorkloadScaleDown::Never) {
            WorkloadScaleDown::Never => 4,
            _ => 0,
        };
        assert_eq!(left, Some(expected), "{mode:?}");
        assert_eq!(obs.status.phase, Some(RolloutPhase::Healthy), "{mode:?}");
    }
}
