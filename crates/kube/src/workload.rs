//! A rollout's ReplicaSets: one per revision, named `<rollout>-<revision>`,
//! owned by the Rollout, labelled with the revision
//! ([`POD_TEMPLATE_HASH_LABEL`]) and the rollout ([`ROLLOUT_LABEL`]) on the
//! ReplicaSet, its selector and its pods, numbered with
//! [`REVISION_ANNOTATION`]. This module builds them and reads them back
//! into the engine's [`VersionState`]s; it does no I/O.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{ReplicaSet, ReplicaSetSpec};
use k8s_openapi::api::core::v1::{Pod, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta, OwnerReference};
use kube::ResourceExt;
use serin_api::Rollout;
use serin_api::k8s::{POD_TEMPLATE_HASH_LABEL, REVISION_ANNOTATION, ROLLOUT_LABEL};
use serin_engine::VersionState;

/// Waiting reasons that mean a container will never start as it is.
const START_FAILURES: &[&str] = &[
    "ErrImagePull",
    "ImagePullBackOff",
    "InvalidImageName",
    "CreateContainerConfigError",
    "CreateContainerError",
];

/// The name of the ReplicaSet of `revision`.
pub fn replica_set_name(rollout: &str, revision: &str) -> String {
    format!("{rollout}-{revision}")
}

/// The revision a ReplicaSet runs, from its label.
pub fn revision_of(rs: &ReplicaSet) -> Option<&str> {
    rs.labels().get(POD_TEMPLATE_HASH_LABEL).map(String::as_str)
}

/// The revision number a ReplicaSet carries.
pub fn number_of(rs: &ReplicaSet) -> i64 {
    rs.annotations()
        .get(REVISION_ANNOTATION)
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// The selector of every pod of the rollout: the spec's, else the
/// template's labels.
pub fn rollout_selector(rollout: &Rollout, template: &PodTemplateSpec) -> LabelSelector {
    rollout
        .spec
        .selector
        .clone()
        .unwrap_or_else(|| LabelSelector {
            match_labels: template.metadata.as_ref().and_then(|m| m.labels.clone()),
            match_expressions: None,
        })
}

/// The selector as text (`k=v,k2=v2`), for the scale subresource.
pub fn selector_text(selector: &LabelSelector) -> String {
    let mut parts: Vec<String> = selector
        .match_labels
        .iter()
        .flatten()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    for e in selector.match_expressions.iter().flatten() {
        let values = e.values.clone().unwrap_or_default().join(",");
        parts.push(match e.operator.as_str() {
            "In" => format!("{} in ({values})", e.key),
            "NotIn" => format!("{} notin ({values})", e.key),
            "Exists" => e.key.clone(),
            _ => format!("!{}", e.key),
        });
    }
    parts.join(",")
}

/// The ReplicaSet running `template` as `revision` (number `number`) with
/// `replicas` replicas, owned by `owner`.
pub fn build(
    rollout: &Rollout,
    owner: OwnerReference,
    template: &PodTemplateSpec,
    revision: &str,
    number: i64,
    replicas: u32,
) -> ReplicaSet {
    let name = rollout.name_any();
    let marks = BTreeMap::from([
        (POD_TEMPLATE_HASH_LABEL.to_owned(), revision.to_owned()),
        (ROLLOUT_LABEL.to_owned(), name.clone()),
    ]);
    let mut selector = rollout_selector(rollout, template);
    selector
        .match_labels
        .get_or_insert_with(BTreeMap::new)
        .insert(POD_TEMPLATE_HASH_LABEL.to_owned(), revision.to_owned());
    let mut template = template.clone();
    let meta = template.metadata.get_or_insert_with(ObjectMeta::default);
    meta.labels
        .get_or_insert_with(BTreeMap::new)
        .extend(marks.clone());
    let mut labels = meta.labels.clone().unwrap_or_default();
    labels.extend(marks);
    ReplicaSet {
        metadata: ObjectMeta {
            name: Some(replica_set_name(&name, revision)),
            namespace: rollout.namespace(),
            labels: Some(labels),
            annotations: Some(BTreeMap::from([(
                REVISION_ANNOTATION.to_owned(),
                number.to_string(),
            )])),
            owner_references: Some(vec![owner]),
            ..ObjectMeta::default()
        },
        spec: Some(ReplicaSetSpec {
            replicas: Some(i32::try_from(replicas).unwrap_or(i32::MAX)),
            min_ready_seconds: rollout.spec.min_ready_seconds,
            selector,
            template: Some(template),
        }),
        status: None,
    }
}

/// The template a ReplicaSet runs, without the labels serin added: what
/// `undo` puts back into the Rollout.
pub fn user_template(rs: &ReplicaSet) -> Option<PodTemplateSpec> {
    let mut t = rs.spec.as_ref()?.template.clone()?;
    if let Some(labels) = t.metadata.as_mut().and_then(|m| m.labels.as_mut()) {
        labels.remove(POD_TEMPLATE_HASH_LABEL);
        labels.remove(ROLLOUT_LABEL);
    }
    Some(t)
}

/// What a ReplicaSet says of its version (pods are looked at separately).
pub fn version_state(rs: &ReplicaSet) -> VersionState {
    let to_u32 = |n: Option<i32>| u32::try_from(n.unwrap_or(0)).unwrap_or(0);
    let status = rs.status.as_ref();
    VersionState {
        replicas: to_u32(rs.spec.as_ref().and_then(|s| s.replicas)),
        ready: to_u32(status.and_then(|s| s.available_replicas)),
        ..VersionState::default()
    }
}

/// Adds what the pods of a version say: restarts, a crash loop, a
/// container that cannot start.
pub fn add_pods(state: &mut VersionState, pods: &[Pod]) {
    for pod in pods {
        let statuses = pod
            .status
            .as_ref()
            .and_then(|s| s.container_statuses.clone())
            .unwrap_or_default();
        for c in statuses {
            state.restarts = state
                .restarts
                .saturating_add(u32::try_from(c.restart_count).unwrap_or(0));
            let Some(waiting) = c.state.as_ref().and_then(|s| s.waiting.as_ref()) else {
                continue;
            };
            let reason = waiting.reason.as_deref().unwrap_or_default();
            if reason == "CrashLoopBackOff" {
                state.crash_looping = true;
            }
            if START_FAILURES.contains(&reason) && state.start_failure.is_none() {
                state.start_failure = Some(format!(
                    "pod {} container {}: {reason}: {}",
                    pod.name_any(),
                    c.name,
                    waiting.message.as_deref().unwrap_or("")
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{
        ContainerState, ContainerStateWaiting, ContainerStatus, PodStatus,
    };

    fn pod(reason: &str, restarts: i32) -> Pod {
        Pod {
            metadata: ObjectMeta {
                name: Some("web-abc-1".into()),
                ..ObjectMeta::default()
            },
            status: Some(PodStatus {
                container_statuses: Some(vec![ContainerStatus {
                    name: "app".into(),
                    restart_count: restarts,
                    state: Some(ContainerState {
                        waiting: Some(ContainerStateWaiting {
                            reason: Some(reason.into()),
                            message: Some("no such image".into()),
                        }),
                        ..ContainerState::default()
                    }),
                    ..ContainerStatus::default()
                }]),
                ..PodStatus::default()
            }),
            spec: None,
        }
    }

    #[test]
    fn a_crash_looping_pod_marks_its_version_and_counts_restarts() {
        let mut v = VersionState::default();
        add_pods(
            &mut v,
            &[pod("CrashLoopBackOff", 4), pod("CrashLoopBackOff", 1)],
        );
        assert!(v.crash_looping);
        assert_eq!(v.restarts, 5);
        assert_eq!(v.start_failure, None);
    }

    #[test]
    fn an_image_that_cannot_be_pulled_is_a_start_failure_naming_the_pod() {
        let mut v = VersionState::default();
        add_pods(&mut v, &[pod("ImagePullBackOff", 0)]);
        assert_eq!(
            v.start_failure.as_deref(),
            Some("pod web-abc-1 container app: ImagePullBackOff: no such image")
        );
    }

    #[test]
    fn a_selector_reads_as_kubectl_writes_it() {
        let s = LabelSelector {
            match_labels: Some(BTreeMap::from([("app".to_owned(), "web".to_owned())])),
            match_expressions: None,
        };
        assert_eq!(selector_text(&s), "app=web");
    }
}
