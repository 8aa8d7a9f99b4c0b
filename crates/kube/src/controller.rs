//! The kube-runtime `Controller` over `Rollout`s: it wakes a rollout's pass
//! when the Rollout changes, when one of its ReplicaSets or AnalysisRuns
//! changes, when a Deployment its `workloadRef` points at changes, and when
//! the engine's timer is due; one pass per rollout at a time. The finalizer
//! wraps every pass, so a deleted rollout is cleaned up before it goes.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{FutureExt, StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use kube::runtime::controller::{Action as Requeue, Config as RuntimeConfig, Controller};
use kube::runtime::events::{Recorder, Reporter};
use kube::runtime::finalizer::{Error as FinalizerError, Event, finalizer};
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Resource, ResourceExt};
use serde::de::DeserializeOwned;
use serin_api::k8s::{FINALIZER, ROLLOUT_LABEL};
use serin_api::{AnalysisRun, AnalysisTemplate, ClusterAnalysisTemplate, Rollout};
use tokio::sync::watch;

use crate::clock::Clock;
use crate::context::{Config, Report, Shared};
use crate::error::ControllerError;
use crate::index::ReplicaSetIndex;
use crate::{cleanup, reconcile};

/// What the controller needs besides the client.
pub struct Parts {
    /// How it runs.
    pub config: Config,
    /// Its clock.
    pub clock: Arc<dyn Clock>,
    /// Where it reports (its metrics), if anywhere.
    pub report: Option<Arc<dyn Report>>,
    /// Turned true once every watch cache has its first list.
    pub ready: Option<watch::Sender<bool>>,
}

fn api<K>(client: &kube::Client, namespace: Option<&str>) -> Api<K>
where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
{
    match namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    }
}

/// A watch cache of `api`, kept up to date by a task.
fn cache<K>(api: Api<K>, config: watcher::Config) -> Store<K>
where
    K: Resource<DynamicType = ()>
        + Clone
        + DeserializeOwned
        + std::fmt::Debug
        + Send
        + Sync
        + 'static,
{
    let (reader, writer) = reflector::store();
    let stream = reflector::reflector(writer, watcher(api, config))
        .default_backoff()
        .touched_objects();
    tokio::spawn(stream.for_each(|_| async {}));
    reader
}

/// What the Rollout cache keeps: everything but the pod template (a pass
/// and a cleanup read the Rollout fresh; the Deployment mapping needs
/// `workloadRef`) and what the API server and kubectl track about writes.
fn trim_rollout(rollout: &mut Rollout) {
    rollout.spec.template = None;
    rollout.spec.local = None;
    rollout.managed_fields_mut().clear();
    rollout
        .annotations_mut()
        .remove("kubectl.kubernetes.io/last-applied-configuration");
}

/// Whether a cache has had its first list.
fn is_ready<K: Resource<DynamicType = ()> + Clone + 'static>(store: &Store<K>) -> bool {
    store
        .wait_until_ready()
        .now_or_never()
        .is_some_and(|r| r.is_ok())
}

/// Runs the controller until `shutdown` resolves (in-flight passes finish).
///
/// # Errors
/// The HTTP client of metric providers cannot be built.
pub async fn run(
    client: kube::Client,
    parts: Parts,
    shutdown: impl Future<Output = ()> + Send + Sync + 'static,
) -> Result<(), ControllerError> {
    let ns = parts.config.namespace.clone();
    let ns = ns.as_deref();
    let http = serin_metrics::http_client()
        .map_err(|e| ControllerError::Spec(format!("HTTP client: {e}")))?;
    let labelled = watcher::Config::default().labels(ROLLOUT_LABEL);

    // The cache keeps what a pass reads, not what the API server tracks,
    // indexed by rollout.
    let replica_sets = ReplicaSetIndex::default();
    let rs_stream = {
        let index = replica_sets.clone();
        watcher(api(&client, ns), labelled.clone())
            .default_backoff()
            .modify(|rs: &mut ReplicaSet| rs.managed_fields_mut().clear())
            .inspect_ok(move |event| index.apply(event))
            .touched_objects()
    };
    let templates = cache::<AnalysisTemplate>(api(&client, ns), watcher::Config::default());
    let cluster_templates = ns.is_none().then(|| {
        cache::<ClusterAnalysisTemplate>(Api::all(client.clone()), watcher::Config::default())
    });
    let recorder = Recorder::new(
        client.clone(),
        Reporter {
            controller: "serin-controller".to_owned(),
            instance: Some(parts.config.instance.clone()),
        },
    );
    let concurrency = parts.config.concurrency;
    let shared = Arc::new(Shared::new(
        client.clone(),
        parts.config,
        parts.clock,
        replica_sets.clone(),
        templates.clone(),
        cluster_templates.clone(),
        recorder,
        http,
        parts.report,
    ));

    // Every pass and cleanup reads its Rollout fresh; the cache only wakes
    // passes and serves the finalizer and the Deployment mapping.
    let (rollouts, rollout_writer) = reflector::store::<Rollout>();
    let rollout_stream = watcher(api::<Rollout>(&client, ns), watcher::Config::default())
        .default_backoff()
        .modify(trim_rollout)
        .reflect(rollout_writer)
        .applied_objects();
    let controller = Controller::for_stream(rollout_stream, rollouts.clone());
    if let Some(ready) = parts.ready {
        let (rollouts, rs, templates) = (rollouts.clone(), replica_sets, templates);
        tokio::spawn(async move {
            // Looked at in turn rather than awaited: a wait on the
            // controller's own store, polled before its first list is
            // done, was seen never to wake.
            loop {
                let synced = is_ready(&rollouts)
                    && rs.is_ready()
                    && is_ready(&templates)
                    && cluster_templates.as_ref().is_none_or(is_ready);
                if synced {
                    let _ = ready.send(true);
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        });
    }
    let referring = rollouts.clone();
    let done = shared.clone();
    controller
        .owns_stream(rs_stream)
        .owns(api::<AnalysisRun>(&client, ns), labelled)
        .watches(
            api::<Deployment>(&client, ns),
            watcher::Config::default(),
            move |d: Deployment| {
                let (dns, name) = (d.namespace(), d.name_any());
                referring
                    .state()
                    .into_iter()
                    .filter(|r| r.namespace() == dns)
                    .filter(|r| r.spec.workload_ref.as_ref().is_some_and(|w| w.name == name))
                    .map(|r| ObjectRef::from_obj(&*r))
                    .collect::<Vec<_>>()
            },
        )
        .with_config(RuntimeConfig::default().concurrency(concurrency))
        .graceful_shutdown_on(shutdown)
        .run(pass, on_error, shared)
        .for_each(|r| async move {
            if let Err(e) = r {
                tracing::debug!(error = %e, "controller");
            }
        })
        .await;
    done.shutdown();
    Ok(())
}

/// One pass, inside the finalizer.
async fn pass(rollout: Arc<Rollout>, shared: Arc<Shared>) -> Result<Requeue, ControllerError> {
    // Planned before the ReplicaSet cache has its first list, a pass would
    // see no ReplicaSets and write a status saying none is ready (measured:
    // 5 of 300 rollouts at start, not looked at again until the resync).
    while !shared.replica_sets.is_ready() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let started = Instant::now();
    let ns = rollout.namespace().unwrap_or_else(|| "default".to_owned());
    let api: Api<Rollout> = Api::namespaced(shared.client.clone(), &ns);
    let result = finalizer(&api, FINALIZER, rollout, |event| async {
        match event {
            Event::Apply(r) => reconcile::apply(r, &shared).await,
            Event::Cleanup(r) => cleanup::cleanup(r, &shared).await,
        }
    })
    .await;
    if let Some(r) = &shared.report {
        r.reconciled(started.elapsed());
    }
    result.map_err(|e| match e {
        FinalizerError::ApplyFailed(e) | FinalizerError::CleanupFailed(e) => e,
        other => ControllerError::Finalizer(other.to_string()),
    })
}

/// A failed pass is tried again: soon after a conflict (the object moved
/// on; read it again), a little later otherwise.
fn on_error(rollout: Arc<Rollout>, error: &ControllerError, shared: Arc<Shared>) -> Requeue {
    let kind = error.kind();
    if let Some(r) = &shared.report {
        r.error(kind);
    }
    tracing::warn!(rollout = %rollout.name_any(), %kind, %error, "pass failed");
    Requeue::requeue(if kind == "conflict" {
        Duration::from_millis(50)
    } else {
        Duration::from_secs(1)
    })
}

impl Report for crate::ops::ControllerMetrics {
    fn rollout(
        &self,
        namespace: &str,
        name: &str,
        phase: Option<serin_api::status::RolloutPhase>,
        weight: i32,
    ) {
        self.observe_rollout(namespace, name, phase, weight);
    }

    fn forget(&self, namespace: &str, name: &str) {
        self.forget_rollout(namespace, name);
    }

    fn reconciled(&self, took: Duration) {
        crate::ops::ControllerMetrics::reconciled(self, took);
    }

    fn error(&self, kind: &'static str) {
        crate::ops::ControllerMetrics::error(self, kind);
    }
}
