//! What is kept of past releases, bounded by the spec: the finished
//! analysis runs of past releases beyond `spec.analysis`'s
//! `successfulRunHistoryLimit` and `unsuccessfulRunHistoryLimit` (Argo's
//! rule: the most recent of each kind are kept, recency here being when a
//! run finished), and the oldest idle revisions beyond
//! `revisionHistoryLimit`. Nothing the current release uses is ever
//! deleted: no run its status lists or it wants, no run still running, no
//! revision the status, the traffic or this pass's actions name.

use std::cmp::Reverse;

use serin_api::{AnalysisPhase, RolloutStatus};

use crate::context::{Cx, Desired};
use crate::output::Action;

/// The deletions the history limits call for, to append after `planned`.
pub(crate) fn prune(
    cx: &Cx<'_>,
    st: &RolloutStatus,
    desired: &Desired,
    planned: &[Action],
) -> Vec<Action> {
    let mut out = Vec::new();
    let names = runs_to_delete(cx, st, desired);
    if !names.is_empty() {
        out.push(Action::DeleteAnalysisRuns { names });
    }
    let revisions = revisions_to_delete(cx, st, desired, planned);
    if !revisions.is_empty() {
        out.push(Action::DeleteRevisions { revisions });
    }
    out
}

/// Finished runs of past releases beyond the limits, most recent kept.
fn runs_to_delete(cx: &Cx<'_>, st: &RolloutStatus, desired: &Desired) -> Vec<String> {
    let current = |name: &str| {
        st.analysis.iter().any(|a| a.name == name) || desired.runs.iter().any(|w| w.name == name)
    };
    let mut finished: Vec<_> = cx
        .obs
        .analysis_runs
        .iter()
        .filter(|(name, run)| run.phase.is_terminal() && !current(name))
        .collect();
    // Most recently finished first; a run without a time counts as the oldest.
    finished.sort_by_key(|(name, run)| (Reverse(run.completed_at), *name));
    let limits = cx.spec.run_history();
    let (mut successful, mut unsuccessful) =
        (limits.successful_limit(), limits.unsuccessful_limit());
    let mut names = Vec::new();
    for (name, run) in finished {
        let room = if run.phase == AnalysisPhase::Successful {
            &mut successful
        } else {
            &mut unsuccessful
        };
        if *room > 0 {
            *room -= 1;
        } else {
            names.push(name.clone());
        }
    }
    names.sort();
    names
}

/// The oldest idle revisions beyond `revisionHistoryLimit`, never one in use.
fn revisions_to_delete(
    cx: &Cx<'_>,
    st: &RolloutStatus,
    desired: &Desired,
    planned: &[Action],
) -> Vec<String> {
    let named = |rev: &str| {
        planned.iter().any(|a| match a {
            Action::Scale { revision, .. } | Action::SetDesiredRevision { revision } => {
                revision == rev
            }
            _ => false,
        })
    };
    let in_use = |rev: &str| {
        st.stable_revision.as_deref() == Some(rev)
            || st.current_revision.as_deref() == Some(rev)
            || st.traffic.references(rev)
            || st.scale_downs.iter().any(|s| s.revision == rev)
            || cx.traffic().is_some_and(|t| t.references(rev))
            || desired.replicas.contains_key(rev)
            || cx.obs.version(rev).replicas > 0
            || named(rev)
    };
    let mut idle: Vec<_> = cx
        .obs
        .idle_revisions
        .iter()
        .filter(|r| !in_use(&r.revision))
        .collect();
    let limit = cx.spec.revision_history_limit();
    if idle.len() <= limit {
        return Vec::new();
    }
    idle.sort_by_key(|r| (r.number, &r.revision));
    let mut revisions: Vec<String> = idle[..idle.len() - limit]
        .iter()
        .map(|r| r.revision.clone())
        .collect();
    revisions.sort();
    revisions
}
