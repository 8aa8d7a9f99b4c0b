//! Notices a new desired revision and starts its release: the first revision
//! becomes stable at once; the stable revision coming back is a fast-track
//! rollback with no steps; any other revision starts at the first step, even
//! in the middle of another release. Keeps the numbered revision history.

use serin_api::status::RevisionRecord;

use crate::context::{Cx, Draft};
use crate::output::EventReason;
use crate::strategy::{self, Shape};

/// Starts the release of `observed.desiredRevision` if it is new.
pub(crate) fn track(cx: &Cx<'_>, d: &mut Draft) {
    let desired = cx.obs.desired_revision.clone();
    if d.st.current_revision.as_deref() == Some(desired.as_str()) {
        return;
    }
    record(d, &desired, cx.spec.revision_history_limit());
    let previous = d.st.current_revision.replace(desired.clone());
    let delay = strategy::abort_delay_ms(cx.spec);
    d.st.aborted_at = None;
    d.st.abort_reason = None;
    d.st.promote_full = false;
    d.st.analysis.clear();
    // A new release gets new analysis run names, even for a revision released before.
    if previous.is_some() {
        d.st.attempt += 1;
    }
    d.st.step_started_at = Some(cx.now);
    d.st.blue_green = match strategy::shape(cx.spec) {
        Shape::BlueGreen(_) => Some(Default::default()),
        Shape::Canary(_) => None,
    };
    d.st.scale_downs.retain(|s| s.revision != desired);
    let Some(stable) = d.st.stable_revision.clone() else {
        d.st.stable_revision = Some(desired.clone());
        d.st.current_step_index = strategy::steps_done_index(cx.spec);
        d.event(
            EventReason::RolloutStarted,
            format!("first revision {desired} becomes stable"),
        );
        return;
    };
    if let Some(old) = previous.filter(|p| *p != stable && *p != desired) {
        d.schedule_scale_down(&old, cx.now.plus_millis(delay));
    }
    if stable == desired {
        d.st.current_step_index = strategy::steps_done_index(cx.spec);
        d.event(
            EventReason::RolloutRolledBack,
            format!("back to stable revision {stable}, without steps"),
        );
    } else {
        d.st.current_step_index = strategy::first_step_index(cx.spec);
        d.event(
            EventReason::RolloutStarted,
            format!("releasing {desired} (stable is {stable})"),
        );
    }
}

/// Appends `revision` to the history with the next number (moving it to the
/// end if it was there) and trims the history.
fn record(d: &mut Draft, revision: &str, limit: usize) {
    let next = d.st.revisions.iter().map(|r| r.number).max().unwrap_or(0) + 1;
    d.st.revisions.retain(|r| r.revision != revision);
    d.st.revisions.push(RevisionRecord {
        number: next,
        revision: revision.to_string(),
    });
    let keep = limit + 1;
    if d.st.revisions.len() > keep {
        let extra = d.st.revisions.len() - keep;
        d.st.revisions.drain(..extra);
    }
}
