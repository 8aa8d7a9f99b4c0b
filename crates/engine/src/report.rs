//! Writes what a person and a tool read: the phase, the message, the pause
//! conditions, the analysis summaries, the standard conditions and the
//! replica counts. Everything here is derived from the pass; timestamps of
//! unchanged conditions are kept so that a repeated pass writes nothing new.

use serin_api::status::{AnalysisSummary, Condition, PauseCondition, RolloutPhase};
use serin_api::{AnalysisPhase, Time};

use crate::context::{Cx, Desired, Draft, Wait};
use crate::output::EventReason;
use crate::progress::Deadline;
use crate::strategy::{self, Shape};

/// Fills in the derived parts of the status.
pub(crate) fn finish(cx: &Cx<'_>, d: &mut Draft, desired: &Desired, deadline: Deadline) {
    pauses(cx, d);
    summaries(cx, d, desired);
    let phase = phase(cx, d, deadline);
    d.st.phase = Some(phase);
    d.st.message = Some(message(d, phase));
    counts(cx, d);
    d.st.step_display = match strategy::shape(cx.spec) {
        Shape::Canary(c) => Some(format!(
            "{}/{}",
            d.st.current_step_index.unwrap_or(0),
            c.effective_steps().len()
        )),
        Shape::BlueGreen(_) => None,
    };
    conditions(cx, d, phase, deadline);
}

fn pauses(cx: &Cx<'_>, d: &mut Draft) {
    if d.aborted() {
        d.pauses.clear();
    }
    let was_paused = !d.st.pause_conditions.is_empty();
    let previous = std::mem::take(&mut d.st.pause_conditions);
    d.st.pause_conditions = d
        .pauses
        .iter()
        .map(|key| {
            let reason = key.reason();
            let start_time = previous
                .iter()
                .find(|p| p.reason == reason)
                .map_or(cx.now, |p| p.start_time);
            PauseCondition { reason, start_time }
        })
        .collect();
    let paused = !d.st.pause_conditions.is_empty();
    if paused && !was_paused {
        let why = d.wait.describe().unwrap_or("paused").to_string();
        d.event(EventReason::RolloutPaused, why);
    } else if was_paused && !paused && !d.aborted() {
        d.event(EventReason::RolloutResumed, "resumed");
    }
}

fn summaries(cx: &Cx<'_>, d: &mut Draft, desired: &Desired) {
    for run in &desired.runs {
        if !d.st.analysis.iter().any(|a| a.name == run.name) {
            d.st.analysis.push(AnalysisSummary {
                name: run.name.clone(),
                kind: run.kind,
                step: run.step,
                phase: AnalysisPhase::Pending,
                message: None,
                skipped: false,
            });
        }
    }
    for summary in &mut d.st.analysis {
        if let Some(run) = cx.obs.analysis_runs.get(&summary.name) {
            summary.phase = run.phase;
            summary.message.clone_from(&run.message);
        }
    }
}

fn phase(cx: &Cx<'_>, d: &Draft, deadline: Deadline) -> RolloutPhase {
    let stable = d.stable();
    if d.aborted() {
        RolloutPhase::Aborted
    } else if deadline == Deadline::Exceeded {
        RolloutPhase::Degraded
    } else if !d.st.pause_conditions.is_empty() {
        RolloutPhase::Paused
    } else if !d.releasing() && d.st.traffic_verified && cx.ready(&stable) >= cx.replicas() {
        RolloutPhase::Healthy
    } else {
        RolloutPhase::Progressing
    }
}

fn message(d: &Draft, phase: RolloutPhase) -> String {
    let what = d.wait.describe().map(str::to_string);
    match phase {
        RolloutPhase::Aborted => {
            format!("aborted: {}", d.st.abort_reason.clone().unwrap_or_default())
        }
        RolloutPhase::Degraded => format!(
            "progress deadline exceeded: waiting for {}",
            what.unwrap_or_default()
        ),
        RolloutPhase::Healthy => format!("{} serves all traffic", d.stable()),
        RolloutPhase::Paused | RolloutPhase::Progressing => {
            what.unwrap_or_else(|| format!("releasing {}", d.current()))
        }
    }
}

fn counts(cx: &Cx<'_>, d: &mut Draft) {
    let to_i32 = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
    let versions = cx.obs.versions.values();
    d.st.replicas = to_i32(versions.clone().map(|v| v.replicas).sum());
    d.st.ready_replicas = to_i32(versions.map(|v| v.ready).sum());
    d.st.updated_replicas = to_i32(cx.obs.version(&d.current()).replicas);
    d.st.available_replicas = to_i32(cx.ready(&d.stable()));
}

fn conditions(cx: &Cx<'_>, d: &mut Draft, phase: RolloutPhase, deadline: Deadline) {
    let available = cx.ready(&d.stable()) >= cx.replicas();
    let (progressing, reason) = match phase {
        RolloutPhase::Aborted => ("False", "RolloutAborted"),
        _ if deadline == Deadline::Exceeded => ("False", "ProgressDeadlineExceeded"),
        RolloutPhase::Paused => ("Unknown", "RolloutPaused"),
        RolloutPhase::Healthy => ("True", "RolloutCompleted"),
        _ => ("True", "RolloutProgressing"),
    };
    let paused_reason =
        d.st.pause_conditions
            .first()
            .map(|p| format!("{:?}", p.reason));
    let message = d.st.message.clone().unwrap_or_default();
    let wanted = [
        ("Progressing", progressing, reason.to_string()),
        (
            "Available",
            if available { "True" } else { "False" },
            if available {
                "AvailableReplicas"
            } else {
                "NotEnoughReplicas"
            }
            .to_string(),
        ),
        (
            "Paused",
            if paused_reason.is_some() {
                "True"
            } else {
                "False"
            },
            paused_reason.unwrap_or("NotPaused".into()),
        ),
        (
            "Healthy",
            if phase == RolloutPhase::Healthy {
                "True"
            } else {
                "False"
            },
            format!("{phase:?}"),
        ),
        (
            "Completed",
            if d.releasing() { "False" } else { "True" },
            if d.releasing() {
                "ReleaseUnderWay"
            } else {
                "ReleaseCompleted"
            }
            .to_string(),
        ),
    ];
    let previous = std::mem::take(&mut d.st.conditions);
    d.st.conditions = wanted
        .into_iter()
        .map(|(type_, status, reason)| {
            let last_transition_time = transition_time(&previous, type_, status, cx.now);
            Condition {
                type_: type_.into(),
                status: status.into(),
                reason,
                message: message.clone(),
                last_transition_time,
            }
        })
        .collect();
}

fn transition_time(previous: &[Condition], type_: &str, status: &str, now: Time) -> Time {
    previous
        .iter()
        .find(|c| c.type_ == type_ && c.status == status)
        .map_or(now, |c| c.last_transition_time)
}

impl From<&Wait> for Option<String> {
    fn from(w: &Wait) -> Self {
        w.describe().map(str::to_string)
    }
}
