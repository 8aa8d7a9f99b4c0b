//! The ReplicaSet simulator: stands in for the ReplicaSet controller and the
//! kubelet. For each ReplicaSet it keeps as many Pods (owned by it, with its
//! template's labels) as `spec.replicas` asks, makes each Pod ready once the
//! simulated clock has passed `ready_after` since the Pod was made, or
//! crash-loops it (`CrashLoopBackOff`, a growing `restartCount`) when the
//! template carries the label or annotation `serin.dev/fake-crash: "true"` or
//! the test asked for it; and writes the ReplicaSet's `status` (a pod counts
//! as available once it has been ready for the ReplicaSet's `minReadySeconds`).
//!
//! Deployments get the deployment controller's part (`simulator/deployments.rs`): one
//! ReplicaSet per pod template, the old ones scaled to zero.
//!
//! Time is the simulator's own clock, moved only by the test
//! ([`crate::FakeHandle::advance`]), so nothing depends on the wall clock.

use std::collections::BTreeSet;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde_json::{Value, json};

use crate::error::ApiError;
use crate::resources::{self, ResourceType};
use crate::store::{Propagation, Store, WriteTarget};

mod deployments;

/// The label or annotation on a pod template that makes its pods crash-loop.
pub const CRASH_MARKER: &str = "serin.dev/fake-crash";
/// The pod annotation holding the simulated time (milliseconds) the pod was made at.
pub const BORN_AT: &str = "serin.dev/fake-born-at-ms";
/// How often, in simulated time, a crash-looping container restarts.
pub const RESTART_EVERY: Duration = Duration::from_secs(10);

struct State {
    now: Duration,
    ready_after: Duration,
    crashing: BTreeSet<(String, String)>,
}

/// The simulator's clock and settings.
pub struct Simulator {
    state: Mutex<State>,
}

fn rs_type() -> &'static ResourceType {
    &resources::REPLICASET
}

fn pod_type() -> &'static ResourceType {
    &resources::POD
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

impl Simulator {
    /// A simulator at time zero whose pods become ready `ready_after` after they are made.
    pub fn new(ready_after: Duration) -> Self {
        Self {
            state: Mutex::new(State {
                now: Duration::ZERO,
                ready_after,
                crashing: BTreeSet::new(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Move the simulated clock forward.
    pub fn advance(&self, by: Duration) {
        self.lock().now += by;
    }

    /// The simulated time since start.
    pub fn now(&self) -> Duration {
        self.lock().now
    }

    /// Change the delay before a new pod is ready.
    pub fn set_ready_after(&self, delay: Duration) {
        self.lock().ready_after = delay;
    }

    /// Make the pods of one ReplicaSet crash-loop (`true`) or behave (`false`).
    pub fn set_crashing(&self, namespace: &str, replicaset: &str, crashing: bool) {
        let key = (namespace.to_string(), replicaset.to_string());
        let mut state = self.lock();
        if crashing {
            state.crashing.insert(key);
        } else {
            state.crashing.remove(&key);
        }
    }

    /// Bring every ReplicaSet's pods and status in line with its spec and the clock.
    /// Holding the state lock for the whole pass keeps two passes from racing.
    pub fn reconcile(&self, store: &Store) -> Result<(), ApiError> {
        let state = self.lock();
        let (deployments, _) = store.list(&resources::DEPLOYMENT, None);
        for d in &deployments {
            deployments::reconcile(&state, store, d)?;
        }
        let (replicasets, _) = store.list(rs_type(), None);
        for rs in &replicasets {
            reconcile_one(&state, store, rs)?;
        }
        for d in &deployments {
            deployments::write_status(store, d)?;
        }
        Ok(())
    }

    /// React to a write of `object` (of kind `rt`): reconcile that ReplicaSet,
    /// or the ReplicaSet owning that Pod; other kinds change nothing.
    pub fn reconcile_touched(
        &self,
        store: &Store,
        rt: &ResourceType,
        namespace: &str,
        object: &Value,
    ) -> Result<(), ApiError> {
        if *rt == resources::DEPLOYMENT {
            let state = self.lock();
            if let Ok(d) = store.get(rt, namespace, str_at(object, "/metadata/name")) {
                deployments::reconcile(&state, store, &d)?;
                deployments::write_status(store, &d)?;
            }
            return Ok(());
        }
        let names: Vec<String> = if rt == rs_type() {
            vec![str_at(object, "/metadata/name").to_string()]
        } else if rt == pod_type() {
            object
                .pointer("/metadata/ownerReferences")
                .and_then(Value::as_array)
                .map(|refs| {
                    refs.iter()
                        .filter(|r| str_at(r, "/kind") == "ReplicaSet")
                        .map(|r| str_at(r, "/name").to_string())
                        .collect()
                })
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        let state = self.lock();
        for name in names {
            if let Ok(rs) = store.get(rs_type(), namespace, &name) {
                reconcile_one(&state, store, &rs)?;
                deployments::owner_status(store, &rs)?;
            }
        }
        Ok(())
    }
}

fn is_live_in(pod: &Value, namespace: &str) -> bool {
    pod.pointer("/metadata/deletionTimestamp").is_none()
        && str_at(pod, "/metadata/namespace") == namespace
}

fn marked(template: &Value) -> bool {
    ["labels", "annotations"].iter().any(|field| {
        template
            .pointer(&format!(
                "/metadata/{field}/{}",
                CRASH_MARKER.replace('/', "~1")
            ))
            .and_then(Value::as_str)
            == Some("true")
    })
}

fn reconcile_one(state: &State, store: &Store, rs: &Value) -> Result<(), ApiError> {
    if rs.pointer("/metadata/deletionTimestamp").is_some() {
        return Ok(());
    }
    let ns = str_at(rs, "/metadata/namespace").to_string();
    let name = str_at(rs, "/metadata/name").to_string();
    let uid = str_at(rs, "/metadata/uid").to_string();
    let want = rs
        .pointer("/spec/replicas")
        .and_then(Value::as_u64)
        .unwrap_or(1) as usize;
    let template = rs.pointer("/spec/template").cloned().unwrap_or(json!({}));
    let crashing = marked(&template) || state.crashing.contains(&(ns.clone(), name.clone()));
    let mut mine: Vec<Value> = store
        .dependents_of(&uid)
        .into_iter()
        .filter(|p| str_at(p, "/kind") == "Pod" && is_live_in(p, &ns))
        .collect();
    mine.sort_by_key(|p| str_at(p, "/metadata/name").to_string());

    while mine.len() < want {
        let mut annotations = template
            .pointer("/metadata/annotations")
            .cloned()
            .unwrap_or(json!({}));
        if let Some(map) = annotations.as_object_mut() {
            map.insert(BORN_AT.into(), json!(state.now.as_millis().to_string()));
        }
        let pod = json!({
            "metadata": {
                "generateName": format!("{name}-"),
                "labels": template.pointer("/metadata/labels").cloned().unwrap_or(json!({})),
                "annotations": annotations,
                "ownerReferences": [{
                    "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": name, "uid": uid,
                    "controller": true, "blockOwnerDeletion": true,
                }],
            },
            "spec": template.get("spec").cloned().unwrap_or(json!({"containers": []})),
        });
        mine.push(store.create(pod_type(), &ns, pod)?);
    }
    while mine.len() > want {
        // Remove pods that are not ready first, then the newest.
        let idx = mine
            .iter()
            .rposition(|p| !is_ready(p))
            .unwrap_or(mine.len() - 1);
        let pod = mine.remove(idx);
        let pod_name = str_at(&pod, "/metadata/name");
        store.delete(pod_type(), &ns, pod_name, Propagation::Background, None)?;
    }

    let min_ready = Duration::from_secs(
        rs.pointer("/spec/minReadySeconds")
            .and_then(Value::as_u64)
            .unwrap_or(0),
    );
    let (mut ready, mut available) = (0u64, 0u64);
    for pod in &mine {
        let status = pod_status(state, pod, crashing);
        if status.pointer("/conditions/0/status") == Some(&json!("True")) {
            ready += 1;
            // Available once ready for minReadySeconds (of simulated time).
            if state.now >= born_at(pod) + state.ready_after + min_ready {
                available += 1;
            }
        }
        let pod_name = str_at(pod, "/metadata/name").to_string();
        store.modify(pod_type(), &ns, &pod_name, WriteTarget::Status, |_| {
            Ok(json!({"status": status}))
        })?;
    }
    let generation = rs
        .pointer("/metadata/generation")
        .cloned()
        .unwrap_or(json!(1));
    let status = json!({
        "replicas": mine.len(),
        "fullyLabeledReplicas": mine.len(),
        "readyReplicas": ready,
        "availableReplicas": available,
        "observedGeneration": generation,
    });
    store.modify(rs_type(), &ns, &name, WriteTarget::Status, |_| {
        Ok(json!({"status": status}))
    })?;
    Ok(())
}

fn is_ready(pod: &Value) -> bool {
    pod.pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter()
                .any(|c| str_at(c, "/type") == "Ready" && str_at(c, "/status") == "True")
        })
}

/// The simulated time a pod was made at.
fn born_at(pod: &Value) -> Duration {
    str_at(
        pod,
        &format!("/metadata/annotations/{}", BORN_AT.replace('/', "~1")),
    )
    .parse::<u64>()
    .map(Duration::from_millis)
    .unwrap_or(Duration::ZERO)
}

fn pod_status(state: &State, pod: &Value, crashing: bool) -> Value {
    let born = born_at(pod);
    let age = state.now.saturating_sub(born);
    let containers: Vec<(String, String)> = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .map(|c| {
                    (
                        str_at(c, "/name").to_string(),
                        str_at(c, "/image").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let (phase, ready, state_json, restarts, last) = if crashing {
        let restarts = 1 + age.as_secs() / RESTART_EVERY.as_secs();
        (
            "Running",
            false,
            json!({"waiting": {"reason": "CrashLoopBackOff", "message": "back-off restarting failed container"}}),
            restarts,
            json!({"terminated": {"exitCode": 1, "reason": "Error"}}),
        )
    } else if age >= state.ready_after {
        ("Running", true, json!({"running": {}}), 0, json!({}))
    } else {
        (
            "Pending",
            false,
            json!({"waiting": {"reason": "ContainerCreating"}}),
            0,
            json!({}),
        )
    };
    let flag = if ready { "True" } else { "False" };
    let statuses: Vec<Value> = containers
        .into_iter()
        .map(|(name, image)| {
            json!({
                "name": name, "image": image, "imageID": "", "ready": ready,
                "started": ready, "restartCount": restarts, "state": state_json, "lastState": last,
            })
        })
        .collect();
    json!({
        "phase": phase,
        "conditions": [
            {"type": "Ready", "status": flag},
            {"type": "ContainersReady", "status": flag},
            {"type": "PodScheduled", "status": "True"},
        ],
        "containerStatuses": statuses,
    })
}
