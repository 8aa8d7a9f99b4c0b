//! Analysis as the engine sees it: deterministic run names, and what a run's
//! verdict means for the rollout — Successful lets a gate pass, Failed or
//! Error aborts, Inconclusive pauses, anything else waits.

use serin_api::AnalysisPhase;
use serin_api::analysis_ref::RolloutAnalysis;
use serin_api::status::AnalysisKind;

use crate::context::{Cx, Draft, PauseReasonKey, RunSpec, Wait, WantedRun};
use crate::output::EventReason;

/// The name of a run, unique per rollout: revision, attempt, and why it runs.
pub(crate) fn run_name(
    revision: &str,
    attempt: i32,
    kind: AnalysisKind,
    step: Option<i32>,
) -> String {
    let why = match kind {
        AnalysisKind::Step => format!("step-{}", step.unwrap_or(0)),
        AnalysisKind::Background => "background".into(),
        AnalysisKind::PrePromotion => "pre".into(),
        AnalysisKind::PostPromotion => "post".into(),
        AnalysisKind::Webhook => "hook".into(),
    };
    format!("{revision}-{attempt}-{why}")
}

/// What a gate learns from its run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Gate {
    /// The run is Successful (or a person promoted past it).
    Pass,
    /// Not decided yet.
    Hold,
    /// The run failed or erred; the release must abort, for this reason.
    Abort(String),
}

/// Builds the run a gate needs and judges it; an Inconclusive verdict pauses.
pub(crate) fn judge(
    cx: &Cx<'_>,
    d: &mut Draft,
    kind: AnalysisKind,
    step: Option<i32>,
    analysis: &RolloutAnalysis,
) -> (WantedRun, Gate) {
    let name = run_name(&d.current(), d.st.attempt, kind, step);
    let run = WantedRun {
        name: name.clone(),
        kind,
        step,
        spec: RunSpec::Analysis(analysis.clone()),
    };
    let message = || {
        cx.obs
            .analysis_runs
            .get(&name)
            .and_then(|r| r.message.clone())
            .unwrap_or_default()
    };
    let gate = match d.run_verdict(cx, &name) {
        Some(AnalysisPhase::Successful) => Gate::Pass,
        Some(phase @ (AnalysisPhase::Failed | AnalysisPhase::Error)) => {
            let why = match message() {
                m if m.is_empty() => format!("analysis {name} {}", phase_word(phase)),
                m => format!("analysis {name} {}: {m}", phase_word(phase)),
            };
            d.event(EventReason::AnalysisFailed, why.clone());
            Gate::Abort(why)
        }
        Some(AnalysisPhase::Inconclusive) => {
            let why = format!("analysis {name} is inconclusive; promote to go on, or abort");
            let already = d.pauses.contains(&PauseReasonKey::InconclusiveAnalysis)
                || d.st
                    .pause_conditions
                    .iter()
                    .any(|p| p.reason == PauseReasonKey::InconclusiveAnalysis.reason());
            if !already {
                d.event(EventReason::AnalysisInconclusive, why.clone());
            }
            d.pause(PauseReasonKey::InconclusiveAnalysis, why);
            Gate::Hold
        }
        Some(AnalysisPhase::Running) => {
            d.wait(Wait::Analysis(format!("analysis {name} is running")));
            Gate::Hold
        }
        Some(AnalysisPhase::Pending) | None => {
            d.wait(Wait::Platform(format!("analysis {name} to start")));
            Gate::Hold
        }
    };
    (run, gate)
}

fn phase_word(phase: AnalysisPhase) -> &'static str {
    match phase {
        AnalysisPhase::Failed => "failed",
        AnalysisPhase::Error => "erred",
        _ => "ended",
    }
}
