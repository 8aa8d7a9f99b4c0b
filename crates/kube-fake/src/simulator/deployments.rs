//! The deployment controller's part, simplified: a Deployment owns one
//! ReplicaSet per pod template (`<name>-<pod-template-hash>`, the hash also
//! a label on the ReplicaSet, its selector and its pods); the current one
//! gets `spec.replicas`, older ones are scaled to zero at once (no surge or
//! unavailability budget); the Deployment's status sums its ReplicaSets'.

use serde_json::{Value, json};

use super::{State, reconcile_one, str_at};
use crate::error::ApiError;
use crate::resources::{DEPLOYMENT, REPLICASET};
use crate::store::{Store, WriteTarget};

/// The label naming a ReplicaSet's pod template.
pub const HASH_LABEL: &str = "pod-template-hash";

/// A short, stable hash of a pod template (FNV-1a, ten characters).
fn template_hash(template: &Value) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in template.to_string().bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    (0..10)
        .map(|_| {
            let c = ALPHABET[(h % ALPHABET.len() as u64) as usize] as char;
            h /= ALPHABET.len() as u64;
            c
        })
        .collect()
}

fn owned_replicasets(store: &Store, deployment: &Value) -> Vec<Value> {
    let uid = str_at(deployment, "/metadata/uid");
    let ns = str_at(deployment, "/metadata/namespace");
    store
        .dependents_of(uid)
        .into_iter()
        .filter(|o| str_at(o, "/kind") == "ReplicaSet" && str_at(o, "/metadata/namespace") == ns)
        .collect()
}

fn with_hash(labels: Option<&Value>, hash: &str) -> Value {
    let mut labels = labels.cloned().unwrap_or(json!({}));
    if let Some(map) = labels.as_object_mut() {
        map.insert(HASH_LABEL.into(), json!(hash));
    }
    labels
}

/// Make the Deployment's ReplicaSets match its template and replicas.
pub fn reconcile(state: &State, store: &Store, deployment: &Value) -> Result<(), ApiError> {
    if deployment.pointer("/metadata/deletionTimestamp").is_some() {
        return Ok(());
    }
    let ns = str_at(deployment, "/metadata/namespace").to_string();
    let name = str_at(deployment, "/metadata/name").to_string();
    let replicas = deployment
        .pointer("/spec/replicas")
        .cloned()
        .unwrap_or(json!(1));
    let template = deployment
        .pointer("/spec/template")
        .cloned()
        .unwrap_or(json!({}));
    let hash = template_hash(&template);
    let owned = owned_replicasets(store, deployment);
    let current = owned
        .iter()
        .find(|rs| str_at(rs, &format!("/metadata/labels/{HASH_LABEL}")) == hash);
    let mut touched = Vec::new();
    match current {
        None => {
            let mut template = template.clone();
            template["metadata"]["labels"] = with_hash(template.pointer("/metadata/labels"), &hash);
            let selector = with_hash(deployment.pointer("/spec/selector/matchLabels"), &hash);
            let rs = json!({
                "metadata": {
                    "name": format!("{name}-{hash}"),
                    "labels": with_hash(deployment.pointer("/spec/template/metadata/labels"), &hash),
                    "ownerReferences": [{
                        "apiVersion": "apps/v1", "kind": "Deployment", "name": name,
                        "uid": str_at(deployment, "/metadata/uid"),
                        "controller": true, "blockOwnerDeletion": true,
                    }],
                },
                "spec": {
                    "replicas": replicas,
                    "minReadySeconds": deployment.pointer("/spec/minReadySeconds").cloned().unwrap_or(json!(0)),
                    "selector": {"matchLabels": selector},
                    "template": template,
                },
            });
            touched.push(store.create(&REPLICASET, &ns, rs)?);
        }
        Some(rs) if rs.pointer("/spec/replicas") != Some(&replicas) => {
            let rs_name = str_at(rs, "/metadata/name").to_string();
            touched.push(
                store.modify(&REPLICASET, &ns, &rs_name, WriteTarget::Main, |old| {
                    let mut new = old.clone();
                    new["spec"]["replicas"] = replicas.clone();
                    Ok(new)
                })?,
            );
        }
        Some(_) => {}
    }
    for old_rs in owned
        .iter()
        .filter(|rs| str_at(rs, &format!("/metadata/labels/{HASH_LABEL}")) != hash)
        .filter(|rs| rs.pointer("/spec/replicas") != Some(&json!(0)))
    {
        let rs_name = str_at(old_rs, "/metadata/name").to_string();
        touched.push(
            store.modify(&REPLICASET, &ns, &rs_name, WriteTarget::Main, |old| {
                let mut new = old.clone();
                new["spec"]["replicas"] = json!(0);
                Ok(new)
            })?,
        );
    }
    for rs in &touched {
        reconcile_one(state, store, rs)?;
    }
    Ok(())
}

/// Write the Deployment's status from its ReplicaSets.
pub fn write_status(store: &Store, deployment: &Value) -> Result<(), ApiError> {
    let ns = str_at(deployment, "/metadata/namespace").to_string();
    let name = str_at(deployment, "/metadata/name").to_string();
    let Ok(deployment) = store.get(&DEPLOYMENT, &ns, &name) else {
        return Ok(());
    };
    let hash = template_hash(
        &deployment
            .pointer("/spec/template")
            .cloned()
            .unwrap_or(json!({})),
    );
    let owned = owned_replicasets(store, &deployment);
    let sum = |field: &str, only_current: bool| -> u64 {
        owned
            .iter()
            .filter(|rs| {
                !only_current || str_at(rs, &format!("/metadata/labels/{HASH_LABEL}")) == hash
            })
            .filter_map(|rs| {
                rs.pointer(&format!("/status/{field}"))
                    .and_then(Value::as_u64)
            })
            .sum()
    };
    let status = json!({
        "observedGeneration": deployment.pointer("/metadata/generation").cloned().unwrap_or(json!(1)),
        "replicas": sum("replicas", false),
        "updatedReplicas": sum("replicas", true),
        "readyReplicas": sum("readyReplicas", false),
        "availableReplicas": sum("availableReplicas", false),
    });
    store.modify(&DEPLOYMENT, &ns, &name, WriteTarget::Status, |_| {
        Ok(json!({"status": status}))
    })?;
    Ok(())
}

/// When `rs` belongs to a Deployment, bring that Deployment's status up to date.
pub fn owner_status(store: &Store, rs: &Value) -> Result<(), ApiError> {
    let ns = str_at(rs, "/metadata/namespace");
    let owners = rs
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for owner in owners.iter().filter(|o| str_at(o, "/kind") == "Deployment") {
        if let Ok(d) = store.get(&DEPLOYMENT, ns, str_at(owner, "/name")) {
            write_status(store, &d)?;
        }
    }
    Ok(())
}
