//! **Execute**: carry out the engine's actions for one rollout, in order,
//! against the API — `SetTraffic` through the routers, `Scale` on the
//! revision's ReplicaSet (made from the template when it is the revision
//! asked for), analysis and webhooks through the rollout's analysis
//! manager, `SetDesiredRevision` by writing the older template back into
//! the Rollout (or its workloadRef Deployment), `ScaleWorkload` on the
//! workloadRef Deployment, `RestoreRouting` through the routers, `Finalize`
//! by noting that the finalizer may go, `DeleteAnalysisRuns` through the
//! analysis manager (the AnalysisRun objects), `DeleteRevisions` on the
//! revisions' ReplicaSets, `Event` as a Kubernetes Event and a
//! notification. Every write states a desired value, so doing it twice is
//! harmless; a deletion that fails is logged and planned again next pass,
//! never holding the rollout.

use std::sync::Arc;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use kube::runtime::events::{Event, EventType};
use kube::{Api, Resource, ResourceExt};
use serde_json::json;
use serin_api::Rollout;
use serin_engine::measure::ArgSource;
use serin_engine::{Action, EventReason};
use serin_traffic::Routers;

use crate::context::{Manager, Shared};
use crate::error::ControllerError;
use crate::observe::Wanted;
use crate::{patch, workload};

/// One rollout's execution of a plan.
pub struct Exec<'a> {
    /// Shared state.
    pub shared: &'a Shared,
    /// The rollout as read at the start of the pass.
    pub rollout: &'a Rollout,
    /// Its ReplicaSets.
    pub sets: &'a [Arc<ReplicaSet>],
    /// What the spec asks to run.
    pub wanted: &'a Wanted,
    /// Its routers.
    pub routers: &'a Routers,
    /// Its analysis manager (made before the pass when its plan has analysis).
    pub manager: Option<&'a Manager>,
    /// The values analysis arguments and webhooks read.
    pub args: ArgSource,
    /// Revision numbers, from the status being written.
    pub numbers: &'a [serin_api::status::RevisionRecord],
    /// The rollout's resourceVersion after this pass's own writes to it.
    pub resource_version: Option<String>,
    /// A `Finalize` was carried out: the rollout may go.
    pub finalized: bool,
}

impl<'a> Exec<'a> {
    /// An execution for `rollout` with no analysis manager, no stable
    /// revision and no revision numbers yet (set them as the pass has them).
    pub fn new(
        shared: &'a Shared,
        rollout: &'a Rollout,
        sets: &'a [Arc<ReplicaSet>],
        wanted: &'a Wanted,
        routers: &'a Routers,
    ) -> Self {
        Self {
            shared,
            rollout,
            sets,
            wanted,
            routers,
            manager: None,
            args: ArgSource {
                name: rollout.name_any(),
                namespace: rollout.namespace().unwrap_or_else(|| "default".to_owned()),
                labels: rollout.labels().clone(),
                stable_revision: None,
                latest_revision: wanted.revision.clone(),
            },
            numbers: &[],
            resource_version: rollout.resource_version(),
            finalized: false,
        }
    }

    fn ns(&self) -> String {
        self.rollout
            .namespace()
            .unwrap_or_else(|| "default".to_owned())
    }

    /// Carries out `actions` in order; stops at the first that fails.
    pub async fn run(&mut self, actions: &[Action]) -> Result<(), ControllerError> {
        for action in actions {
            match action {
                Action::SetTraffic { traffic } => self.routers.apply(traffic).await?,
                Action::Scale { revision, replicas } => self.scale(revision, *replicas).await?,
                Action::StartAnalysis { .. }
                | Action::StopAnalysis { .. }
                | Action::CallWebhook { .. } => {
                    if let Some(m) = self.manager {
                        m.execute(std::slice::from_ref(action), &self.args);
                    }
                }
                Action::SetDesiredRevision { revision } => self.undo_to(revision).await?,
                Action::ScaleWorkload { replicas } => self.scale_workload(*replicas).await?,
                Action::RestoreRouting => self.routers.restore().await?,
                Action::Finalize => self.finalized = true,
                Action::DeleteAnalysisRuns { names } => self.delete_runs(names).await,
                Action::DeleteRevisions { revisions } => self.delete_revisions(revisions).await,
                Action::Event { reason, message } => self.event(*reason, message).await,
            }
        }
        Ok(())
    }

    async fn scale(&self, revision: &str, replicas: u32) -> Result<(), ControllerError> {
        let api: Api<ReplicaSet> = Api::namespaced(self.shared.client.clone(), &self.ns());
        let want = i32::try_from(replicas).unwrap_or(i32::MAX);
        if let Some(rs) = self
            .sets
            .iter()
            .find(|rs| workload::revision_of(rs) == Some(revision))
        {
            return self.resize(&api, rs, want).await;
        }
        if replicas == 0 {
            return Ok(());
        }
        if revision != self.wanted.revision {
            tracing::warn!(
                rollout = %self.rollout.name_any(),
                %revision,
                "no ReplicaSet of this revision and its template is not known; not scaled"
            );
            return Ok(());
        }
        let owner = self
            .rollout
            .controller_owner_ref(&())
            .ok_or_else(|| ControllerError::Spec("the rollout has no uid yet".to_owned()))?;
        let number = self
            .numbers
            .iter()
            .find(|r| r.revision == revision)
            .map_or(0, |r| r.number);
        let rs = workload::build(
            self.rollout,
            owner,
            &self.wanted.template,
            revision,
            number,
            replicas,
        );
        match api.create(&PostParams::default(), &rs).await {
            Ok(_) => Ok(()),
            // The cache had not seen it yet: make sure of its size, if it is ours.
            Err(kube::Error::Api(s)) if s.code == 409 => {
                let existing = api.get(&rs.name_any()).await?;
                let ours = existing.labels().get(serin_api::k8s::ROLLOUT_LABEL)
                    == Some(&self.rollout.name_any());
                if !ours {
                    return Err(ControllerError::Spec(format!(
                        "ReplicaSet {}/{} exists and is not this rollout's",
                        self.ns(),
                        rs.name_any()
                    )));
                }
                set_replicas(&api, &rs.name_any(), want).await
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn resize(
        &self,
        api: &Api<ReplicaSet>,
        rs: &ReplicaSet,
        want: i32,
    ) -> Result<(), ControllerError> {
        let mut merge = serde_json::Map::new();
        if rs.spec.as_ref().and_then(|s| s.replicas) != Some(want) {
            merge.insert("spec".into(), json!({"replicas": want}));
        }
        let owned = rs
            .owner_references()
            .iter()
            .any(|o| o.controller == Some(true));
        if !owned && let Some(owner) = self.rollout.controller_owner_ref(&()) {
            merge.insert("metadata".into(), json!({"ownerReferences": [owner]}));
        }
        if merge.is_empty() {
            return Ok(());
        }
        api.patch(
            &rs.name_any(),
            &PatchParams::default(),
            &Patch::Merge(&serde_json::Value::Object(merge)),
        )
        .await?;
        Ok(())
    }

    async fn scale_workload(&self, replicas: u32) -> Result<(), ControllerError> {
        let Some(d) = &self.wanted.deployment else {
            tracing::warn!(rollout = %self.rollout.name_any(), "no workloadRef Deployment to scale");
            return Ok(());
        };
        let api: Api<Deployment> = Api::namespaced(self.shared.client.clone(), &self.ns());
        set_replicas(&api, &d.name_any(), replicas).await
    }

    async fn delete_runs(&self, names: &[String]) {
        let Some(m) = self.manager else {
            return;
        };
        if let Err(e) = m.delete(names).await {
            tracing::warn!(rollout = %self.rollout.name_any(), error = %e, "deleting old analysis runs");
        }
    }

    async fn delete_revisions(&self, revisions: &[String]) {
        let api: Api<ReplicaSet> = Api::namespaced(self.shared.client.clone(), &self.ns());
        let doomed = self.sets.iter().filter(|rs| {
            workload::revision_of(rs).is_some_and(|r| revisions.iter().any(|x| x == r))
        });
        for rs in doomed {
            match api
                .delete(&rs.name_any(), &DeleteParams::background())
                .await
            {
                Ok(_) => {}
                Err(kube::Error::Api(s)) if s.code == 404 => {}
                Err(e) => {
                    tracing::warn!(rollout = %self.rollout.name_any(), replica_set = %rs.name_any(), error = %e, "deleting an old ReplicaSet");
                }
            }
        }
    }

    async fn undo_to(&mut self, revision: &str) -> Result<(), ControllerError> {
        let Some(template) = self
            .sets
            .iter()
            .find(|rs| workload::revision_of(rs) == Some(revision))
            .and_then(|rs| workload::user_template(rs))
        else {
            self.event(
                EventReason::CommandIgnored,
                &format!("undo: no ReplicaSet of revision {revision} is left to return to"),
            )
            .await;
            return Ok(());
        };
        let ops = patch::json(json!([
            {"op": "replace", "path": "/spec/template", "value": template}
        ]))
        .map_err(|e| ControllerError::Spec(format!("undo: {e}")))?;
        if let Some(d) = &self.wanted.deployment {
            let api: Api<Deployment> = Api::namespaced(self.shared.client.clone(), &self.ns());
            api.patch(
                &d.name_any(),
                &PatchParams::default(),
                &Patch::<()>::Json(ops),
            )
            .await?;
        } else {
            let api: Api<Rollout> = Api::namespaced(self.shared.client.clone(), &self.ns());
            let after = api
                .patch(
                    &self.rollout.name_any(),
                    &PatchParams::default(),
                    &Patch::<()>::Json(ops),
                )
                .await?;
            self.resource_version = after.resource_version();
        }
        Ok(())
    }

    async fn event(&self, reason: EventReason, message: &str) {
        let revision = Some(self.args.latest_revision.clone());
        publish_about(self.shared, self.rollout, revision, reason, message).await;
    }
}

/// Merge-patches the `spec.replicas` of the object `name`.
async fn set_replicas<K>(
    api: &Api<K>,
    name: &str,
    replicas: impl Into<serde_json::Value>,
) -> Result<(), ControllerError>
where
    K: Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let merge = json!({"spec": {"replicas": replicas.into()}});
    api.patch(name, &PatchParams::default(), &Patch::Merge(&merge))
        .await?;
    Ok(())
}

/// Publishes an Event about `rollout` (a failure is logged, never fatal)
/// and hands it to the notifier.
pub async fn publish(shared: &Shared, rollout: &Rollout, reason: EventReason, message: &str) {
    let revision = rollout
        .status
        .as_ref()
        .and_then(|s| s.current_revision.clone());
    publish_about(shared, rollout, revision, reason, message).await;
}

/// [`publish`], about `revision`.
async fn publish_about(
    shared: &Shared,
    rollout: &Rollout,
    revision: Option<String>,
    reason: EventReason,
    message: &str,
) {
    if let Some(notifier) = &shared.config.notifier {
        let mut note = serin_notify::Event::new(
            reason,
            rollout.name_any(),
            rollout.namespace().unwrap_or_else(|| "default".to_owned()),
            message,
            shared.clock.now().0,
        )
        .with_revision(revision);
        if let Some(status) = &rollout.status {
            note = note.at(status);
        }
        notifier.notify(note);
    }
    let event = Event {
        type_: if serin_notify::is_warning(reason) {
            EventType::Warning
        } else {
            EventType::Normal
        },
        reason: format!("{reason:?}"),
        note: Some(message.chars().take(1024).collect()),
        action: "Reconcile".to_owned(),
        secondary: None,
    };
    if let Err(e) = shared
        .recorder
        .publish(&event, &rollout.object_ref(&()))
        .await
    {
        tracing::warn!(rollout = %rollout.name_any(), error = %e, "publishing an event");
    }
}
