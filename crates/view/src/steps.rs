//! The canary steps as a person reads them, and the time left in a pause.

use serin_api::canary::{CanaryStep, CanaryStrategy};
use serin_api::{RolloutStatus, Time};

use crate::model::StepView;

fn text(step: &CanaryStep) -> String {
    if let Some(w) = step.set_weight {
        return format!("setWeight {w}");
    }
    if let Some(p) = &step.pause {
        return match &p.duration {
            Some(d) => format!("pause {}", d.as_str()),
            None => "pause (until promoted)".to_owned(),
        };
    }
    if let Some(a) = &step.analysis {
        let names: Vec<&str> = a
            .templates
            .iter()
            .map(|t| t.template_name.as_str())
            .collect();
        return format!("analysis {}", names.join(", "));
    }
    if let Some(s) = &step.set_canary_scale {
        return match (s.replicas, s.weight) {
            (Some(r), _) => format!("setCanaryScale replicas {r}"),
            (_, Some(w)) => format!("setCanaryScale weight {w}"),
            _ => "setCanaryScale matchTrafficWeight".to_owned(),
        };
    }
    if let Some(h) = &step.set_header_route {
        return format!("setHeaderRoute {}", h.name);
    }
    if let Some(m) = &step.set_mirror_route {
        return format!("setMirrorRoute {}", m.name);
    }
    "step".to_owned()
}

/// The steps with the current one marked, and the time left in a timed
/// pause being run (not counting while a person paused the rollout).
pub fn canary(
    c: &CanaryStrategy,
    status: &RolloutStatus,
    now: Time,
) -> (Vec<StepView>, Option<u64>) {
    let all = c.effective_steps();
    let releasing =
        status.current_revision.is_some() && status.current_revision != status.stable_revision;
    let current = status
        .current_step_index
        .and_then(|i| usize::try_from(i).ok())
        .filter(|_| releasing);
    let views = all
        .iter()
        .enumerate()
        .map(|(index, step)| StepView {
            index,
            text: text(step),
            done: current.is_some_and(|c| index < c),
            current: current == Some(index),
        })
        .collect();
    let left = current
        .and_then(|i| all.get(i))
        .and_then(|s| s.pause.as_ref())
        .and_then(|p| p.duration.as_ref())
        .and_then(|d| d.parse().ok())
        .and_then(|d| {
            // As the engine counts: from `stepStartedAt` (moved forward by
            // the time a person paused), frozen while a person pauses.
            let started = status.step_started_at?;
            let upto = status.user_paused_at.unwrap_or(now);
            let total = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
            Some(total.saturating_sub(upto.millis_since(started)))
        });
    (views, left)
}
