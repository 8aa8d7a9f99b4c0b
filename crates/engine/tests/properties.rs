//! Property tests: random sequences of world changes (replicas becoming
//! ready or crashing, analysis verdicts, commands, new revisions, time
//! passing, actions applied or lagging) drive the engine over several specs,
//! and every pass must keep the engine's invariants (history limits
//! included: what is deleted is never in use, what is kept is within them).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use proptest::prelude::*;
use serin_api::status::Traffic;
use serin_api::{AnalysisPhase, Command, CommandRequest, RolloutSpec, RolloutStatus, Time};
use serin_engine::{
    Action, EventReason, IdleRevision, Observed, Plan, RunState, VersionState, plan,
};

const SPECS: [&str; 7] = [
    // canary on one host with every step kind and background analysis
    r#"{"replicas": 3, "webhooks": [{"name": "pre", "type": "pre-rollout", "url": "http://127.0.0.1:1/pre"},
        {"name": "each", "type": "rollout", "url": "http://127.0.0.1:1/each"},
        {"name": "confirm", "type": "confirm-promotion", "url": "http://127.0.0.1:1/confirm"},
        {"name": "post", "type": "post-rollout", "url": "http://127.0.0.1:1/post"},
        {"name": "back", "type": "rollback", "url": "http://127.0.0.1:1/back"}],
        "analysis": {"successfulRunHistoryLimit": 2, "unsuccessfulRunHistoryLimit": 0},
        "local": {"command": ["app"], "version": "v0"}, "strategy": {"canary": {
        "analysis": {"templates": [{"templateName": "bg"}], "startingStep": 1},
        "steps": [{"setWeight": 10}, {"setHeaderRoute": {"name": "h", "match": [{"headerName": "x", "headerValue": {"exact": "1"}}]}},
                  {"pause": {"duration": "30s"}}, {"analysis": {"templates": [{"templateName": "a"}]}},
                  {"setCanaryScale": {"replicas": 2}}, {"setWeight": 60}, {"setMirrorRoute": {"name": "m", "percentage": 20}},
                  {"pause": {}}, {"setWeight": 90}]}}}"#,
    // canary with dynamic stable scale, no replica unavailable, and short deadline
    r#"{"replicas": 4, "progressDeadlineSeconds": 60, "local": {"command": ["app"], "version": "v0"}, "strategy": {"canary": {
        "dynamicStableScale": true, "maxUnavailable": 0, "maxSurge": 1, "steps": [{"setWeight": 25}, {"setWeight": 50}, {"pause": {"duration": 10}}, {"setWeight": 75}]}}}"#,
    // canary by replica ratio (Kubernetes without a router)
    r#"{"replicas": 5, "template": {"metadata": {"labels": {"app": "a"}}}, "selector": {"matchLabels": {"app": "a"}},
        "progressDeadlineAbort": false, "progressDeadlineSeconds": 120, "revisionHistoryLimit": 1,
        "strategy": {"canary": {"steps": [{"setWeight": 20}, {"pause": {}}, {"setWeight": 60}]}}}"#,
    // blue-green with both analyses and auto promotion after 20s
    r#"{"replicas": 2, "webhooks": [{"name": "pre", "type": "pre-rollout", "url": "http://127.0.0.1:1/pre"},
        {"name": "each", "type": "rollout", "url": "http://127.0.0.1:1/each"},
        {"name": "confirm", "type": "confirm-promotion", "url": "http://127.0.0.1:1/confirm"},
        {"name": "post", "type": "post-rollout", "url": "http://127.0.0.1:1/post"},
        {"name": "back", "type": "rollback", "url": "http://127.0.0.1:1/back"}],
        "local": {"command": ["app"], "version": "v0"}, "strategy": {"blueGreen": {
        "previewReplicaCount": 1, "autoPromotionSeconds": 20,
        "prePromotionAnalysis": {"templates": [{"templateName": "pre"}]},
        "postPromotionAnalysis": {"templates": [{"templateName": "post"}]}}}}"#,
    // blue-green waiting for a person
    r#"{"replicas": 3, "local": {"command": ["app"], "version": "v0"}, "strategy": {"blueGreen": {"autoPromotionEnabled": false}}}"#,
    // canary by replica ratio, one replica at a time and none unavailable
    r#"{"replicas": 10, "template": {"metadata": {"labels": {"app": "a"}}}, "selector": {"matchLabels": {"app": "a"}},
        "strategy": {"canary": {"maxSurge": 1, "maxUnavailable": 0,
        "steps": [{"setWeight": 20}, {"pause": {"duration": 10}}, {"setWeight": 50}, {"pause": {}}, {"setWeight": 80}]}}}"#,
    // canary by replica ratio, a percent surge and two replicas unavailable
    r#"{"replicas": 7, "template": {"metadata": {"labels": {"app": "a"}}}, "selector": {"matchLabels": {"app": "a"}},
        "strategy": {"canary": {"maxSurge": "20%", "maxUnavailable": 2,
        "steps": [{"setWeight": 30}, {"pause": {"duration": 20}}, {"setWeight": 60}]}}}"#,
];

#[derive(Clone, Debug)]
enum Op {
    /// Plan and apply every action.
    Plan,
    /// Plan and apply nothing (the platform lags).
    PlanLagging,
    /// Plan and apply only the first action.
    PlanPartly,
    /// Some replicas of a version become ready (or unready).
    Ready { version: usize, ready: u32 },
    /// A version starts crash-looping.
    Crash { version: usize },
    /// An analysis run reaches a phase.
    Verdict { run: usize, phase: AnalysisPhase },
    /// A person gives a command.
    Command(Command),
    /// The spec asks for another revision.
    Release { version: usize },
    /// Time passes.
    Advance { ms: u64 },
}

fn op() -> impl Strategy<Value = Op> {
    let phase = prop_oneof![
        Just(AnalysisPhase::Running),
        Just(AnalysisPhase::Successful),
        Just(AnalysisPhase::Successful),
        Just(AnalysisPhase::Failed),
        Just(AnalysisPhase::Error),
        Just(AnalysisPhase::Inconclusive),
    ];
    let command = prop_oneof![
        Just(Command::Promote),
        Just(Command::PromoteFull),
        Just(Command::Abort),
        Just(Command::Retry),
        Just(Command::Pause),
        Just(Command::Resume),
        (0i64..4).prop_map(|n| Command::Undo {
            to_revision: if n == 0 { None } else { Some(n) }
        }),
    ];
    prop_oneof![
        6 => Just(Op::Plan),
        2 => Just(Op::PlanLagging),
        2 => Just(Op::PlanPartly),
        6 => (0usize..4, 0u32..11).prop_map(|(version, ready)| Op::Ready { version, ready }),
        1 => (0usize..4).prop_map(|version| Op::Crash { version }),
        3 => (0usize..8, phase).prop_map(|(run, phase)| Op::Verdict { run, phase }),
        2 => command.prop_map(Op::Command),
        1 => (0usize..4).prop_map(|version| Op::Release { version }),
        3 => (1u64..90_000).prop_map(|ms| Op::Advance { ms }),
    ]
}

/// The platform as the engine sees it, applying actions faithfully.
struct World {
    spec: RolloutSpec,
    obs: Observed,
    now: Time,
    next_command: i64,
}

fn version_name(i: usize) -> String {
    format!("v{i}")
}

impl World {
    fn new(spec: RolloutSpec) -> Self {
        let obs = Observed {
            desired_revision: version_name(0),
            ..Observed::default()
        };
        Self {
            spec,
            obs,
            now: Time::from_millis(1_800_000_000_000),
            next_command: 1,
        }
    }

    fn apply(&mut self, action: &Action) {
        match action {
            Action::SetTraffic { traffic } => self.obs.traffic = Some(traffic.clone()),
            Action::Scale { revision, replicas } => {
                let v = self.obs.versions.entry(revision.clone()).or_default();
                v.replicas = *replicas;
                v.ready = v.ready.min(*replicas);
                if *replicas == 0 {
                    v.crash_looping = false;
                }
                self.obs.idle_revisions.retain(|r| &r.revision != revision);
                if *replicas == 0 && self.spec.template.is_some() {
                    let number = revision.trim_start_matches('v').parse().unwrap_or(0);
                    self.obs.idle_revisions.push(IdleRevision {
                        revision: revision.clone(),
                        number,
                    });
                }
            }
            Action::DeleteAnalysisRuns { names } => {
                for name in names {
                    self.obs.analysis_runs.remove(name);
                }
            }
            Action::DeleteRevisions { revisions } => {
                self.obs
                    .idle_revisions
                    .retain(|r| !revisions.contains(&r.revision));
                for revision in revisions {
                    self.obs.versions.remove(revision);
                }
            }
            Action::StartAnalysis { name, .. } => {
                self.obs
                    .analysis_runs
                    .entry(name.clone())
                    .or_insert(RunState {
                        phase: AnalysisPhase::Running,
                        ..RunState::default()
                    });
            }
            Action::StopAnalysis { name } => {
                // A stopped analysis keeps a Successful verdict; a stopped webhook call has no answer.
                if let Some(run) = self.obs.analysis_runs.get_mut(name)
                    && !run.phase.is_terminal()
                    && !name.contains("-hook-")
                {
                    run.phase = AnalysisPhase::Successful;
                }
            }
            Action::CallWebhook { name, webhook, .. } => {
                if webhook.type_ != serin_api::webhook::WebhookType::PostRollout {
                    self.obs
                        .analysis_runs
                        .entry(name.clone())
                        .or_insert(RunState {
                            phase: AnalysisPhase::Running,
                            ..RunState::default()
                        });
                }
            }
            Action::SetDesiredRevision { revision } => self.obs.desired_revision = revision.clone(),
            Action::ScaleWorkload { replicas } => {
                if let Some(w) = self.obs.workload.as_mut() {
                    w.replicas = *replicas;
                }
            }
            // Planned only for a rollout being deleted; see deletion.rs.
            Action::RestoreRouting | Action::Finalize => {}
            Action::Event { .. } => {}
        }
    }
}

/// Checks every invariant of one pass; returns the plan.
fn checked_plan(world: &World) -> Result<Plan, TestCaseError> {
    let before: &RolloutStatus = &world.obs.status;
    let p = plan(&world.spec, &world.obs, world.now);

    // Weights always within 0..=100 (the stable arm has the rest, so they sum to 100).
    let weights = p.actions.iter().filter_map(|a| match a {
        Action::SetTraffic { traffic } => Some(traffic.canary_weight),
        _ => None,
    });
    for w in weights.chain([p.status.traffic.canary_weight]) {
        prop_assert!((0..=100).contains(&w), "weight {w} out of range");
    }

    // A version with no ready replica never gets a weight above 0.
    for a in &p.actions {
        if let Action::SetTraffic { traffic } = a {
            if let Some(canary) = traffic
                .canary
                .as_deref()
                .filter(|_| traffic.canary_weight > 0)
            {
                prop_assert!(
                    world.obs.ready(canary) > 0,
                    "weight {} to {canary} with no ready replica",
                    traffic.canary_weight
                );
            }
            if let Some(active) = traffic.stable.as_deref() {
                let was_stable = before.stable_revision.as_deref() == Some(active);
                let first = before.stable_revision.is_none();
                prop_assert!(
                    was_stable || first || world.obs.ready(active) > 0,
                    "active traffic to {active} with no ready replica"
                );
            }
        }
    }

    // The first action of an abort sends all traffic to stable.
    let aborted = p.status.aborted_at.is_some()
        && p.actions.iter().any(|a| {
            matches!(
                a,
                Action::Event {
                    reason: EventReason::RolloutAborted,
                    ..
                }
            )
        });
    if aborted {
        let stable = p.status.stable_revision.clone();
        let all_stable = |t: &Traffic| {
            t.stable == stable
                && t.canary_weight == 0
                && t.header_routes.is_empty()
                && t.mirror_routes.is_empty()
        };
        let already = world.obs.traffic.as_ref().is_some_and(all_stable);
        if !already {
            match p.actions.first() {
                Some(Action::SetTraffic { traffic }) => {
                    prop_assert!(
                        all_stable(traffic),
                        "abort's first action does not send all to stable: {traffic:?}"
                    )
                }
                other => prop_assert!(false, "abort's first action is {other:?}"),
            }
        }
    }

    check_surge(world, &p)?;
    check_history(world, &p)?;

    // The step index never goes backwards except for a new revision or a retry.
    let same_release =
        before.current_revision == p.status.current_revision && before.attempt == p.status.attempt;
    if same_release
        && let (Some(b), Some(a)) = (before.current_step_index, p.status.current_step_index)
    {
        prop_assert!(a >= b, "step went back from {b} to {a}");
    }

    // Applying the same observation twice changes nothing the second time.
    let again = plan(
        &world.spec,
        &Observed {
            status: p.status.clone(),
            ..world.obs.clone()
        },
        world.now,
    );
    prop_assert!(
        again.status == p.status,
        "second pass changed the status: {}",
        diff(&p.status, &again.status)
    );
    let events: Vec<_> = again
        .actions
        .iter()
        .filter(|a| matches!(a, Action::Event { .. }))
        .collect();
    prop_assert!(events.is_empty(), "second pass emitted {events:?}");
    Ok(p)
}

/// Deletions of old runs and revisions never touch what is in use, and
/// leave the finished runs of past releases within their limits.
fn check_history(world: &World, p: &Plan) -> Result<(), TestCaseError> {
    let current = |name: &str| p.status.analysis.iter().any(|a| a.name == name);
    let mut deleted = Vec::new();
    for a in &p.actions {
        match a {
            Action::DeleteAnalysisRuns { names } => {
                for name in names {
                    let run = world.obs.analysis_runs.get(name);
                    prop_assert!(
                        run.is_some_and(|r| r.phase.is_terminal()),
                        "deleted run {name} is not finished: {run:?}"
                    );
                    prop_assert!(
                        !current(name),
                        "deleted run {name} is the current release's"
                    );
                    deleted.push(name.clone());
                }
            }
            Action::DeleteRevisions { revisions } => {
                for r in revisions {
                    let st = &p.status;
                    prop_assert!(
                        st.stable_revision.as_deref() != Some(r)
                            && st.current_revision.as_deref() != Some(r)
                            && !st.traffic.references(r)
                            && !st.scale_downs.iter().any(|s| &s.revision == r),
                        "deleted revision {r} is in use: {st:?}"
                    );
                    prop_assert!(
                        world.obs.idle_revisions.iter().any(|i| &i.revision == r),
                        "deleted revision {r} is not idle"
                    );
                }
            }
            _ => {}
        }
    }
    let limits = world.spec.run_history();
    let kept = |successful: bool| {
        world
            .obs
            .analysis_runs
            .iter()
            .filter(|(n, r)| r.phase.is_terminal() && !current(n) && !deleted.contains(n))
            .filter(|(_, r)| (r.phase == AnalysisPhase::Successful) == successful)
            .count()
    };
    prop_assert!(
        kept(true) <= limits.successful_limit(),
        "too many successful runs kept"
    );
    prop_assert!(
        kept(false) <= limits.unsuccessful_limit(),
        "too many unsuccessful runs kept"
    );
    Ok(())
}

/// What `maxSurge` and `maxUnavailable` promise for a spec, worked out here
/// apart from the engine, as Argo Rollouts does.
struct Bounds {
    /// Replicas asked for in all, at the most: `replicas + maxSurge`.
    most: u32,
    /// Ready replicas of the stable and the canary, at the least:
    /// `replicas - maxUnavailable`.
    least: u32,
    /// A replica split: the surge binds, and the canary's scale-downs too.
    by_replicas: bool,
}

/// The bounds of a canary split by replica ratio or with `dynamicStableScale`.
fn bounds(spec: &RolloutSpec) -> Option<Bounds> {
    let canary = spec.strategy.canary.as_ref()?;
    let by_replicas = spec.local.is_none() && canary.traffic_routing.is_none();
    if !by_replicas && !canary.dynamic_stable_scale {
        return None;
    }
    let r = spec.replicas();
    let amount = |value: &Option<serde_json::Value>, up: bool| -> u32 {
        let percent = match value {
            Some(serde_json::Value::Number(n)) => return n.as_u64().unwrap() as u32,
            Some(serde_json::Value::String(s)) => s.trim_end_matches('%').parse::<u32>().unwrap(),
            _ => 25,
        };
        let scaled = r * percent;
        if up {
            scaled.div_ceil(100)
        } else {
            scaled / 100
        }
    };
    let json = serde_json::to_value(canary).unwrap();
    let surge = amount(&json.get("maxSurge").cloned(), true);
    let mut unavailable = amount(&json.get("maxUnavailable").cloned(), false).min(r);
    if surge == 0 && unavailable == 0 {
        unavailable = r.min(1);
    }
    Some(Bounds {
        most: r + surge,
        least: r - unavailable,
        by_replicas,
    })
}

/// A pass never asks for more than `replicas + maxSurge` replicas in all
/// when it scales anything up (whichever of its actions are applied), and
/// its own scale-downs never leave fewer than `replicas - maxUnavailable`
/// replicas ready (nor fewer than were, when there were fewer already): of
/// every version while a replica split's release is under way (a replaced
/// canary counted), else of the stable and the canary. An aborted release is
/// exempt from the second: it sends traffic to stable and retires the canary.
fn check_surge(world: &World, p: &Plan) -> Result<(), TestCaseError> {
    let Some(b) = bounds(&world.spec) else {
        return Ok(());
    };
    let asked = |rev: &str| world.obs.version(rev).replicas;
    let scales: BTreeMap<&str, u32> = p
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::Scale { revision, replicas } => Some((revision.as_str(), *replicas)),
            _ => None,
        })
        .collect();
    if b.by_replicas {
        let total: u32 = world.obs.versions.values().map(|v| v.replicas).sum();
        let added: u32 = scales
            .iter()
            .map(|(rev, n)| n.saturating_sub(asked(rev)))
            .sum();
        prop_assert!(
            added == 0 || total + added <= b.most,
            "{total} replicas asked for and {added} more: above {}: {scales:?}",
            b.most
        );
    }
    let before = &world.obs.status;
    let same_release = before.current_revision == p.status.current_revision;
    if p.status.aborted_at.is_some() || !same_release {
        return Ok(());
    }
    let stable = p.status.stable_revision.clone().unwrap_or_default();
    let current = p.status.current_revision.clone().unwrap_or_default();
    let releasing = current != stable;
    let governed = |rev: &str| rev == stable || (b.by_replicas && rev == current);
    let versions: Vec<String> = if b.by_replicas && releasing {
        world.obs.versions.keys().cloned().collect()
    } else if releasing {
        vec![stable.clone(), current.clone()]
    } else {
        vec![stable.clone()]
    };
    let available = |after: bool| -> u32 {
        versions
            .iter()
            .map(|rev| {
                let n = match scales.get(rev.as_str()) {
                    Some(n) if after && (governed(rev) || (b.by_replicas && releasing)) => *n,
                    _ => asked(rev),
                };
                world.obs.ready(rev).min(n)
            })
            .sum()
    };
    let (was, is) = (available(false), available(true));
    prop_assert!(
        is >= was.min(b.least),
        "scale-downs {scales:?} leave {is} ready of {versions:?} (were {was}, at least {} wanted)",
        b.least
    );
    Ok(())
}

/// The fields that differ between two statuses, as `field: first -> second`.
fn diff(first: &RolloutStatus, second: &RolloutStatus) -> String {
    let (a, b) = (
        serde_json::to_value(first).unwrap(),
        serde_json::to_value(second).unwrap(),
    );
    let keys: std::collections::BTreeSet<&String> = a
        .as_object()
        .unwrap()
        .keys()
        .chain(b.as_object().unwrap().keys())
        .collect();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| {
            format!(
                "{k}: {} -> {}",
                a.get(k).unwrap_or(&serde_json::Value::Null),
                b.get(k).unwrap_or(&serde_json::Value::Null)
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn run(spec_index: usize, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let spec: RolloutSpec = serde_json::from_str(SPECS[spec_index]).unwrap();
    let mut world = World::new(spec);
    for op in ops {
        match op {
            Op::Plan | Op::PlanLagging | Op::PlanPartly => {
                let p = checked_plan(&world)?;
                let applied = match op {
                    Op::Plan => p.actions.len(),
                    Op::PlanPartly => 1,
                    _ => 0,
                };
                for action in p.actions.iter().take(applied) {
                    world.apply(action);
                }
                world.obs.status = p.status;
            }
            Op::Ready { version, ready } => {
                let v: &mut VersionState =
                    world.obs.versions.entry(version_name(version)).or_default();
                v.ready = ready.min(v.replicas);
            }
            Op::Crash { version } => {
                if let Some(v) = world.obs.versions.get_mut(&version_name(version)) {
                    v.crash_looping = v.replicas > 0;
                    v.restarts += 5;
                }
            }
            Op::Verdict { run, phase } => {
                let names: Vec<String> = world.obs.analysis_runs.keys().cloned().collect();
                if !names.is_empty() {
                    let name = &names[run % names.len()];
                    world.obs.analysis_runs.insert(
                        name.clone(),
                        RunState {
                            phase,
                            message: Some("m".into()),
                            completed_at: phase.is_terminal().then_some(world.now),
                        },
                    );
                }
            }
            Op::Command(command) => {
                world.obs.commands.push(CommandRequest {
                    id: world.next_command,
                    command,
                    by: "tester".into(),
                    at: None,
                });
                world.next_command += 1;
            }
            Op::Release { version } => world.obs.desired_revision = version_name(version),
            Op::Advance { ms } => world.now = world.now.plus_millis(ms),
        }
    }
    checked_plan(&world)?;
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_over_random_histories(spec in 0usize..SPECS.len(), ops in prop::collection::vec(op(), 1..120)) {
        run(spec, ops)?;
    }
}

/// A cooperative world (every action applied, replicas ready as asked,
/// analysis successful) finishes every release: the new revision becomes
/// stable and Healthy.
#[test]
fn a_cooperative_world_promotes_every_spec() {
    for (i, text) in SPECS.iter().enumerate() {
        let spec: RolloutSpec = serde_json::from_str(text).unwrap();
        let mut world = World::new(spec);
        let mut promoted = false;
        for round in 0..400 {
            if round == 3 {
                world.obs.desired_revision = "v1".into();
            }
            let p = checked_plan(&world).unwrap();
            for action in &p.actions {
                world.apply(action);
            }
            world.obs.status = p.status;
            for v in world.obs.versions.values_mut() {
                v.ready = v.replicas;
            }
            // Every analysis and webhook says yes; a rollback webhook says yes by
            // asking to roll back, so it keeps saying no.
            for (name, run) in world.obs.analysis_runs.iter_mut() {
                if !name.ends_with("-hook-back") {
                    run.phase = AnalysisPhase::Successful;
                }
            }
            if world.obs.status.phase == Some(serin_api::status::RolloutPhase::Paused) {
                world.obs.commands.push(CommandRequest {
                    id: world.next_command,
                    command: Command::Promote,
                    by: "tester".into(),
                    at: None,
                });
                world.next_command += 1;
            }
            world.now = world.now.plus_millis(5_000);
            if round > 3 && world.obs.status.stable_revision.as_deref() == Some("v1") {
                promoted = world.obs.status.phase == Some(serin_api::status::RolloutPhase::Healthy);
                if promoted {
                    break;
                }
            }
        }
        assert!(
            promoted,
            "spec {i} did not promote v1: {:?}",
            world.obs.status
        );
        let _: BTreeMap<_, _> = world.obs.versions.clone();
    }
}
