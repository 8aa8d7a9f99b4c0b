//! **Observe**: one rollout's snapshot for the engine — the Rollout read
//! fresh from the API (never a cached copy, so a status just written is
//! never planned from again), the pod template it asks for and its
//! revision, its ReplicaSets from the watch cache (with their pods read
//! while a version is not ready), the ReplicaSets kept at zero with no pod
//! left (for `revisionHistoryLimit`), the replicas of its `workloadRef`
//! Deployment, the traffic its routers read back, its analysis runs and
//! the commands queued in its annotation.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{Pod, PodTemplateSpec};
use kube::api::ListParams;
use kube::{Api, ResourceExt};
use serin_api::k8s::{COMMANDS_ANNOTATION, POD_TEMPLATE_HASH_LABEL, ROLLOUT_LABEL, parse_commands};
use serin_api::{CommandRequest, Rollout};
use serin_engine::{IdleRevision, VersionState, WorkloadState};

use crate::context::Shared;
use crate::error::ControllerError;
use crate::{hash, workload};

/// What the spec asks to run.
pub struct Wanted {
    /// The pod template (the Rollout's, or its workloadRef Deployment's).
    pub template: PodTemplateSpec,
    /// Its revision.
    pub revision: String,
    /// The Deployment a `workloadRef` points at.
    pub deployment: Option<Deployment>,
}

/// The template the rollout asks for.
pub async fn wanted(shared: &Shared, rollout: &Rollout) -> Result<Wanted, ControllerError> {
    let ns = rollout.namespace().unwrap_or_else(|| "default".to_owned());
    if let Some(template) = &rollout.spec.template {
        return Ok(Wanted {
            revision: hash::revision_of(template),
            template: template.clone(),
            deployment: None,
        });
    }
    let Some(wr) = &rollout.spec.workload_ref else {
        return Err(ControllerError::Spec(
            "spec.template: required on Kubernetes (or spec.workloadRef); spec.local is the one-host workload"
                .to_owned(),
        ));
    };
    let api: Api<Deployment> = Api::namespaced(shared.client.clone(), &ns);
    let deployment = api.get_opt(&wr.name).await?.ok_or_else(|| {
        ControllerError::Spec(format!(
            "spec.workloadRef.name: Deployment {ns}/{} not found",
            wr.name
        ))
    })?;
    let template = deployment
        .spec
        .as_ref()
        .map(|s| s.template.clone())
        .ok_or_else(|| ControllerError::Spec(format!("Deployment {ns}/{} has no spec", wr.name)))?;
    Ok(Wanted {
        revision: hash::revision_of(&template),
        template,
        deployment: Some(deployment),
    })
}

/// The ReplicaSets of `rollout` in the cache: those it owns, and those
/// carrying its label and no owner (to be adopted).
pub fn replica_sets(shared: &Shared, rollout: &Rollout) -> Vec<Arc<ReplicaSet>> {
    let (ns, name, uid) = (
        rollout.namespace().unwrap_or_default(),
        rollout.name_any(),
        rollout.uid(),
    );
    shared
        .replica_sets
        .of(&ns, &name)
        .into_iter()
        .filter(|rs| rs.labels().contains_key(POD_TEMPLATE_HASH_LABEL))
        .filter(|rs| {
            match rs
                .owner_references()
                .iter()
                .find(|o| o.controller == Some(true))
            {
                Some(o) => Some(&o.uid) == uid.as_ref(),
                None => true,
            }
        })
        .collect()
}

/// The `workloadRef` Deployment's replicas (unset: 1, as Kubernetes
/// defaults them); `None` without one.
pub fn workload(wanted: &Wanted) -> Option<WorkloadState> {
    let replicas = wanted
        .deployment
        .as_ref()?
        .spec
        .as_ref()
        .and_then(|s| s.replicas)
        .unwrap_or(1);
    Some(WorkloadState {
        replicas: u32::try_from(replicas).unwrap_or(0),
    })
}

/// Each version's replicas as its ReplicaSet says, by revision.
pub fn counts(sets: &[Arc<ReplicaSet>]) -> BTreeMap<String, VersionState> {
    sets.iter()
        .filter_map(|rs| {
            Some((
                workload::revision_of(rs)?.to_owned(),
                workload::version_state(rs),
            ))
        })
        .collect()
}

/// The revisions whose ReplicaSet asks for no replica and has no pod
/// left, with the revision number it carries.
pub fn idle_revisions(sets: &[Arc<ReplicaSet>]) -> Vec<IdleRevision> {
    sets.iter()
        .filter(|rs| workload::version_state(rs).replicas == 0)
        .filter(|rs| rs.status.as_ref().is_none_or(|s| s.replicas == 0))
        .filter_map(|rs| {
            Some(IdleRevision {
                revision: workload::revision_of(rs)?.to_owned(),
                number: workload::number_of(rs),
            })
        })
        .collect()
}

/// Each version's replicas; the pods of a version not fully ready are read
/// for restarts, crash loops and containers that cannot start.
pub async fn versions(
    shared: &Shared,
    rollout: &Rollout,
    sets: &[Arc<ReplicaSet>],
) -> Result<BTreeMap<String, VersionState>, ControllerError> {
    let ns = rollout.namespace().unwrap_or_else(|| "default".to_owned());
    let pods: Api<Pod> = Api::namespaced(shared.client.clone(), &ns);
    let mut out = counts(sets);
    for (revision, state) in &mut out {
        if state.replicas > state.ready {
            let selector = format!(
                "{POD_TEMPLATE_HASH_LABEL}={revision},{ROLLOUT_LABEL}={}",
                rollout.name_any()
            );
            let list = pods.list(&ListParams::default().labels(&selector)).await?;
            workload::add_pods(state, &list.items);
        }
    }
    Ok(out)
}

/// The commands queued in the rollout's annotation, and a warning when the
/// annotation cannot be read (the queue is then taken as empty).
pub fn commands(rollout: &Rollout) -> (Vec<CommandRequest>, Option<String>) {
    match parse_commands(
        rollout
            .annotations()
            .get(COMMANDS_ANNOTATION)
            .map(String::as_str),
    ) {
        Ok(c) => (c, None),
        Err(e) => (Vec::new(), Some(e)),
    }
}
