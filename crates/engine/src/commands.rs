//! Carries out the commands given since the last pass, in id order, each
//! exactly once: promote, promote --full, abort, retry, undo, pause, resume.
//! A command that does not fit the current state is reported and ignored.

use serin_api::canary::StepKind;
use serin_api::status::AnalysisKind;
use serin_api::{Command, CommandRequest};

use crate::analysis::run_name;
use crate::context::{Cx, Draft};
use crate::output::{Action, EventReason};
use crate::strategy::{self, Shape};

/// Applies every command newer than `status.lastCommandId`.
pub(crate) fn apply(cx: &Cx<'_>, d: &mut Draft) {
    let mut pending: Vec<&CommandRequest> = cx
        .obs
        .commands
        .iter()
        .filter(|c| c.id > d.st.last_command_id)
        .collect();
    pending.sort_by_key(|c| c.id);
    for req in pending {
        let by = if req.by.is_empty() {
            "someone"
        } else {
            req.by.as_str()
        };
        match carry_out(cx, d, &req.command) {
            Ok(done) => d.event(
                EventReason::CommandAccepted,
                format!("{} by {by}: {done}", req.command.verb()),
            ),
            Err(why) => d.event(
                EventReason::CommandIgnored,
                format!("{} by {by} ignored: {why}", req.command.verb()),
            ),
        }
        d.st.last_command_id = req.id;
    }
}

fn carry_out(cx: &Cx<'_>, d: &mut Draft, command: &Command) -> Result<String, String> {
    match command {
        Command::Promote => promote(cx, d, false),
        Command::PromoteFull => promote(cx, d, true),
        Command::Abort => {
            if !d.releasing() {
                return Err("no release is under way".into());
            }
            if d.aborted() {
                return Err("the release is already aborted".into());
            }
            d.abort(
                cx.now,
                strategy::abort_delay_ms(cx.spec),
                "aborted by a person",
            );
            Ok("all traffic returns to stable".into())
        }
        Command::Retry => {
            if !d.aborted() {
                return Err("only an aborted release can be retried".into());
            }
            d.st.aborted_at = None;
            d.st.abort_reason = None;
            d.st.attempt += 1;
            d.st.promote_full = false;
            d.st.analysis.clear();
            d.st.step_started_at = Some(cx.now);
            d.st.scale_downs
                .retain(|s| Some(&s.revision) != d.st.current_revision.as_ref());
            match strategy::shape(cx.spec) {
                Shape::Canary(_) => d.st.current_step_index = Some(0),
                Shape::BlueGreen(_) => d.st.blue_green = Some(Default::default()),
            }
            Ok(format!("release of {} starts again", d.current()))
        }
        Command::Undo { to_revision } => undo(d, *to_revision),
        Command::Pause => {
            if d.st.user_paused_at.is_some() {
                return Err("already paused".into());
            }
            d.st.user_paused_at = Some(cx.now);
            Ok("paused".into())
        }
        Command::Resume => {
            let Some(paused_at) = d.st.user_paused_at.take() else {
                return Err("not paused".into());
            };
            // Time spent paused does not count toward a timed pause, nor
            // toward autoPromotionSeconds at the blue-green gate.
            let paused_ms = cx.now.millis_since(paused_at);
            if let Some(started) = d.st.step_started_at {
                d.st.step_started_at = Some(started.plus_millis(paused_ms));
            }
            if let Some(bg) = d.st.blue_green.as_mut().filter(|b| b.switched_at.is_none()) {
                bg.gate_at = bg.gate_at.map(|at| at.plus_millis(paused_ms));
            }
            Ok("resumed".into())
        }
    }
}

fn promote(cx: &Cx<'_>, d: &mut Draft, full: bool) -> Result<String, String> {
    if !d.releasing() {
        return Err("no release is under way".into());
    }
    if d.aborted() {
        return Err("the release is aborted; use retry".into());
    }
    d.st.user_paused_at = None;
    let (rev, attempt) = (d.current(), d.st.attempt);
    if full {
        d.st.promote_full = true;
        return Ok("skipping every remaining step and analysis".into());
    }
    match strategy::shape(cx.spec) {
        Shape::Canary(c) => {
            let steps = c.effective_steps();
            let n = i32::try_from(steps.len()).unwrap_or(i32::MAX);
            let i = d.st.current_step_index.unwrap_or(0);
            if i >= n {
                return Err("every step is done; promotion is under way".into());
            }
            // An inconclusive background verdict is the gate being held: skip
            // it alone, not the current step as well.
            let background = run_name(&rev, attempt, AnalysisKind::Background, None);
            if d.run_verdict(cx, &background) == Some(serin_api::AnalysisPhase::Inconclusive) {
                d.skip_run(&background, AnalysisKind::Background, None);
                return Ok(format!("inconclusive analysis {background} skipped"));
            }
            let step = steps.get(usize::try_from(i).unwrap_or(0));
            if step.is_some_and(|s| matches!(s.kind(), Some(StepKind::Analysis(_)))) {
                d.skip_run(
                    &run_name(&rev, attempt, AnalysisKind::Step, Some(i)),
                    AnalysisKind::Step,
                    Some(i),
                );
            }
            d.st.current_step_index = Some(i + 1);
            d.st.step_started_at = Some(cx.now);
            Ok(format!("step {} skipped", i + 1))
        }
        Shape::BlueGreen(_) => {
            let bg = d.st.blue_green.get_or_insert_with(Default::default);
            if bg.switched_at.is_some() {
                d.skip_run(
                    &run_name(&rev, attempt, AnalysisKind::PostPromotion, None),
                    AnalysisKind::PostPromotion,
                    None,
                );
                return Ok("post-promotion analysis skipped".into());
            }
            bg.promote_requested = true;
            d.skip_run(
                &run_name(&rev, attempt, AnalysisKind::PrePromotion, None),
                AnalysisKind::PrePromotion,
                None,
            );
            Ok("switching to the new version".into())
        }
    }
}

fn undo(d: &mut Draft, to_revision: Option<i64>) -> Result<String, String> {
    let target = match to_revision {
        Some(number) => {
            d.st.revisions
                .iter()
                .find(|r| r.number == number)
                .map(|r| r.revision.clone())
                .ok_or_else(|| format!("there is no revision {number}"))?
        }
        None if d.releasing() => d.stable(),
        None => {
            let current = d.current();
            d.st.revisions
                .iter()
                .rev()
                .find(|r| r.revision != current)
                .map(|r| r.revision.clone())
                .ok_or_else(|| "there is no earlier revision".to_string())?
        }
    };
    if target == d.current() {
        return Err(format!("{target} is already the current revision"));
    }
    d.actions.push(Action::SetDesiredRevision {
        revision: target.clone(),
    });
    Ok(format!("releasing {target} again"))
}
