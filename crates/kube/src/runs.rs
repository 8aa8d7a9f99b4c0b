//! Analysis on Kubernetes: each run the engine starts is an `AnalysisRun`
//! object named `<rollout>-<run>`, owned by the Rollout, its spec written
//! once and its status after every measurement, deleted when the engine's
//! history limits say so ([`KubeRunStore`], the
//! [`RunStore`] the analysis manager saves through, so a restarted
//! controller resumes each run from its object); and the cluster's
//! AnalysisTemplates and ClusterAnalysisTemplates as the manager's
//! [`TemplateSource`] ([`ClusterTemplates`], read from watch caches).

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::{Api, ResourceExt};
use serin_api::analysis::AnalysisTemplateSpec;
use serin_api::analysis_ref::AnalysisTemplateRef;
use serin_api::k8s::{ROLLOUT_LABEL, RUN_ANNOTATION};
use serin_api::{AnalysisRun, AnalysisTemplate, ClusterAnalysisTemplate};
use serin_metrics::{RunStore, StoreError, StoredRun, TemplateSource};

use crate::hash;

/// The longest object name Kubernetes takes.
const MAX_NAME: usize = 253;

/// The object name of run `run` of `rollout`: `<rollout>-<run>`, cut and
/// given a hash suffix when too long.
pub fn object_name(rollout: &str, run: &str) -> String {
    let full = format!("{rollout}-{run}");
    if full.len() <= MAX_NAME {
        return full;
    }
    let suffix = hash::short(&full);
    let keep = MAX_NAME - suffix.len() - 1;
    let cut: String = full.chars().take(keep).collect();
    format!("{}-{suffix}", cut.trim_end_matches('-'))
}

/// The AnalysisRuns of one rollout, as a [`RunStore`].
#[derive(Clone)]
pub struct KubeRunStore {
    api: Api<AnalysisRun>,
    rollout: String,
    owner: OwnerReference,
}

impl KubeRunStore {
    /// The runs of `rollout` in `api`'s namespace, owned by `owner`.
    pub fn new(api: Api<AnalysisRun>, rollout: String, owner: OwnerReference) -> Self {
        Self {
            api,
            rollout,
            owner,
        }
    }

    fn fresh(&self, name: &str, run: &StoredRun) -> AnalysisRun {
        AnalysisRun {
            metadata: ObjectMeta {
                name: Some(object_name(&self.rollout, name)),
                labels: Some(BTreeMap::from([(
                    ROLLOUT_LABEL.to_owned(),
                    self.rollout.clone(),
                )])),
                annotations: Some(BTreeMap::from([(
                    RUN_ANNOTATION.to_owned(),
                    name.to_owned(),
                )])),
                owner_references: Some(vec![self.owner.clone()]),
                ..ObjectMeta::default()
            },
            spec: run.spec.clone(),
            status: None,
        }
    }
}

fn backend(e: &kube::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

impl RunStore for KubeRunStore {
    async fn save(&self, name: &str, run: &StoredRun) -> Result<(), StoreError> {
        let object = object_name(&self.rollout, name);
        match self
            .api
            .create(&PostParams::default(), &self.fresh(name, run))
            .await
        {
            Ok(_) => {}
            Err(kube::Error::Api(s)) if s.code == 409 => {}
            Err(e) => return Err(backend(&e)),
        }
        let status = serde_json::to_value(&run.status)
            .map_err(|e| StoreError::Backend(format!("status of {object}: {e}")))?;
        let patch = crate::patch::json(serde_json::json!([
            {"op": "add", "path": "/status", "value": status}
        ]))
        .map_err(|e| StoreError::Backend(format!("status of {object}: {e}")))?;
        self.api
            .patch_status(&object, &PatchParams::default(), &Patch::<()>::Json(patch))
            .await
            .map_err(|e| backend(&e))?;
        Ok(())
    }

    async fn load_all(&self) -> Result<BTreeMap<String, StoredRun>, StoreError> {
        let selector = format!("{ROLLOUT_LABEL}={}", self.rollout);
        let list = self
            .api
            .list(&ListParams::default().labels(&selector))
            .await
            .map_err(|e| backend(&e))?;
        Ok(list
            .items
            .into_iter()
            .filter_map(|r| {
                let name = r.annotations().get(RUN_ANNOTATION)?.clone();
                let run = StoredRun {
                    spec: r.spec,
                    status: r.status.unwrap_or_default(),
                };
                Some((name, run))
            })
            .collect())
    }

    async fn delete(&self, name: &str) -> Result<(), StoreError> {
        let object = object_name(&self.rollout, name);
        match self.api.delete(&object, &DeleteParams::background()).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
            Err(e) => Err(backend(&e)),
        }
    }
}

/// The cluster's templates, from watch caches, for rollouts in `namespace`.
#[derive(Clone)]
pub struct ClusterTemplates {
    namespace: String,
    templates: Store<AnalysisTemplate>,
    cluster: Option<Store<ClusterAnalysisTemplate>>,
}

impl ClusterTemplates {
    /// Templates for a rollout in `namespace`; `cluster` is `None` when the
    /// controller watches one namespace (ClusterAnalysisTemplates are not
    /// readable then).
    pub fn new(
        namespace: String,
        templates: Store<AnalysisTemplate>,
        cluster: Option<Store<ClusterAnalysisTemplate>>,
    ) -> Self {
        Self {
            namespace,
            templates,
            cluster,
        }
    }
}

impl TemplateSource for ClusterTemplates {
    fn template(&self, r: &AnalysisTemplateRef) -> Option<AnalysisTemplateSpec> {
        if r.cluster_scope {
            let store = self.cluster.as_ref()?;
            let t = store.get(&ObjectRef::new(&r.template_name))?;
            Some(t.spec.clone().into())
        } else {
            let key = ObjectRef::new(&r.template_name).within(&self.namespace);
            Some(self.templates.get(&key)?.spec.clone())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_object_is_named_after_its_rollout_and_run() {
        assert_eq!(object_name("web", "abc-1-step-2"), "web-abc-1-step-2");
    }

    #[test]
    fn a_name_too_long_is_cut_with_a_hash_so_two_long_names_stay_apart() {
        let long = "r".repeat(250);
        let (a, b) = (
            object_name(&long, "x-1-pre"),
            object_name(&long, "x-1-post"),
        );
        assert!(a.len() <= MAX_NAME && b.len() <= MAX_NAME);
        assert_ne!(a, b);
    }
}
