//! The progress deadline and the health of the new version. A release that
//! waits on the platform (replicas, traffic, a run to start) without progress
//! for `progressDeadlineSeconds` is aborted (or marked Degraded when
//! `progressDeadlineAbort` is false); a new version that crash-loops or
//! cannot start is aborted at once. Pauses and running analysis do not count.

use serin_api::status::RolloutPhase;

use crate::context::{Cx, Draft, Wait};
use crate::output::EventReason;
use crate::strategy;

/// Aborts the release if its new version crash-loops or cannot start.
/// Returns whether it aborted.
pub(crate) fn check_health(cx: &Cx<'_>, d: &mut Draft) -> bool {
    if !d.releasing() || d.aborted() {
        return false;
    }
    let current = d.current();
    let version = cx.obs.version(&current);
    let why = if let Some(failure) = &version.start_failure {
        format!("{current} cannot start: {failure}")
    } else if version.crash_looping {
        format!("{current} is crash-looping ({} restarts)", version.restarts)
    } else {
        return false;
    };
    d.abort(cx.now, strategy::abort_delay_ms(cx.spec), why);
    true
}

/// The outcome of the deadline check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Deadline {
    /// Within the deadline, or not waiting on the platform.
    Met,
    /// Exceeded, and the release was aborted.
    Aborted,
    /// Exceeded; the rollout is Degraded and keeps waiting.
    Exceeded,
}

/// Records progress and checks the deadline.
pub(crate) fn check_deadline(cx: &Cx<'_>, d: &mut Draft) -> Deadline {
    let marker = fingerprint(cx, d);
    if d.st.progress_marker.as_deref() != Some(marker.as_str()) {
        d.st.progress_marker = Some(marker);
        d.st.progress_at = Some(cx.now);
    }
    let Wait::Platform(what) = d.wait.clone() else {
        return Deadline::Met;
    };
    let since = d.st.progress_at.unwrap_or(cx.now);
    let deadline = since.plus_millis(cx.spec.progress_deadline_ms());
    if cx.now < deadline {
        d.wake_at(deadline);
        return Deadline::Met;
    }
    let why = format!(
        "no progress for {}s while waiting for {what}",
        cx.spec.progress_deadline_ms() / 1000
    );
    if d.releasing() && cx.spec.progress_deadline_abort() {
        d.event(EventReason::ProgressDeadlineExceeded, why.clone());
        d.abort(
            cx.now,
            strategy::abort_delay_ms(cx.spec),
            format!("progress deadline exceeded: {why}"),
        );
        return Deadline::Aborted;
    }
    // Reported once, when the rollout becomes Degraded.
    if d.st.phase != Some(RolloutPhase::Degraded) {
        d.event(EventReason::ProgressDeadlineExceeded, why);
    }
    Deadline::Exceeded
}

/// What counts as progress: the step, the readiness of both versions, the
/// traffic read back, the blue-green stage, and what is awaited.
fn fingerprint(cx: &Cx<'_>, d: &Draft) -> String {
    let (current, stable) = (d.current(), d.stable());
    let bg = d.st.blue_green.as_ref().map_or(String::new(), |b| {
        format!(
            "{}{}",
            u8::from(b.preview_ready_at.is_some()),
            u8::from(b.switched_at.is_some())
        )
    });
    format!(
        "{current}/{}/{}/{}/{}/{}/{bg}/{}",
        d.st.attempt,
        d.st.current_step_index.unwrap_or(-1),
        cx.ready(&current),
        cx.ready(&stable),
        u8::from(d.st.traffic_verified),
        d.wait.kind()
    )
}
