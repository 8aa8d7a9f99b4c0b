//! The workload a `workloadRef` points at, scaled down as its `scaleDown`
//! says: `never` (the default) leaves it alone, `onsuccess` takes it to
//! zero once the rollout is Healthy on the revision the spec asks for,
//! `progressively` gives up one of its replicas for each replica of the
//! rollout's stable version that is available. It is never scaled up.

use serin_api::rollout::WorkloadScaleDown;
use serin_api::status::RolloutPhase;

use crate::context::{Cx, Draft};
use crate::output::Action;

/// Appends the `ScaleWorkload` the finished status calls for, if any. Runs
/// after the report, so it reads this pass's phase and available replicas.
pub(crate) fn scale(cx: &Cx<'_>, d: &mut Draft) {
    let (Some(reference), Some(workload)) = (&cx.spec.workload_ref, &cx.obs.workload) else {
        return;
    };
    let has = workload.replicas;
    let want = match reference.scale_down.unwrap_or(WorkloadScaleDown::Never) {
        WorkloadScaleDown::Never => has,
        WorkloadScaleDown::Onsuccess => {
            let healthy = d.st.phase == Some(RolloutPhase::Healthy)
                && d.st.stable_revision.as_deref() == Some(cx.obs.desired_revision.as_str());
            if healthy { 0 } else { has }
        }
        WorkloadScaleDown::Progressively => {
            let available = u32::try_from(d.st.available_replicas).unwrap_or(0);
            cx.replicas().saturating_sub(available).min(has)
        }
    };
    if want != has {
        d.actions.push(Action::ScaleWorkload { replicas: want });
    }
}
