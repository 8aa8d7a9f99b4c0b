//! The AnalysisRuns behind a Rollout's view on Kubernetes: each run of the
//! status is the object `<rollout>-<run>` the controller saves after every
//! measurement, labelled `serin.dev/rollout` and annotated `serin.dev/run`
//! with the run's name. Read only when a status names a run: with one
//! label-selected `list` of a namespace's or every namespace's for the
//! dashboard's sampler, by name for one rollout (`serin status`, a view).

use std::collections::BTreeMap;

use kube::api::ListParams;
use kube::{Api, ResourceExt};
use serin_api::k8s::{ROLLOUT_LABEL, RUN_ANNOTATION};
use serin_api::{AnalysisRun, Rollout};

/// Runs by run name.
pub type Runs = BTreeMap<String, AnalysisRun>;

/// Runs by namespace, rollout and run name.
pub type RunsByRollout = BTreeMap<(String, String), Runs>;

/// Whether `rollout`'s status names any run (else nothing is read).
pub fn has_analysis(rollout: &Rollout) -> bool {
    rollout
        .status
        .as_ref()
        .is_some_and(|s| !s.analysis.is_empty())
}

/// Every serin AnalysisRun `api` lists, by namespace (`default_ns` for
/// an object that does not say it) and rollout.
pub async fn all(api: &Api<AnalysisRun>, default_ns: &str) -> Result<RunsByRollout, kube::Error> {
    let list = api
        .list(&ListParams::default().labels(ROLLOUT_LABEL))
        .await?;
    let mut out = RunsByRollout::new();
    for run in list.items {
        let (Some(rollout), Some(name)) = (
            run.labels().get(ROLLOUT_LABEL).cloned(),
            run.annotations().get(RUN_ANNOTATION).cloned(),
        ) else {
            continue;
        };
        let ns = run.namespace().unwrap_or_else(|| default_ns.to_owned());
        out.entry((ns, rollout)).or_default().insert(name, run);
    }
    Ok(out)
}

/// The runs `rollout`'s status names, each read by its object name
/// (`<rollout>-<run>`); a run not found (not saved yet, or a webhook call)
/// is left out.
pub async fn of(api: &Api<AnalysisRun>, rollout: &Rollout) -> Result<Runs, kube::Error> {
    let mut out = Runs::new();
    let Some(status) = &rollout.status else {
        return Ok(out);
    };
    for a in &status.analysis {
        let object = serin_kube::runs::object_name(&rollout.name_any(), &a.name);
        if let Some(run) = api.get_opt(&object).await? {
            out.insert(a.name.clone(), run);
        }
    }
    Ok(out)
}
