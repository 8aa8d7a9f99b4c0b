//! The `/scale` subresource: the `autoscaling/v1` `Scale` view of an object
//! with `spec.replicas`, and writes to it that change only `spec.replicas`.

use serde_json::{Value, json};

use crate::error::ApiError;
use crate::resources::ResourceType;
use crate::store::{Store, WriteTarget};

/// The `autoscaling/v1` `Scale` view of an object with `spec.replicas`.
pub fn scale_of(object: &Value) -> Value {
    // A custom resource's scale reads its `labelSelectorPath` (`.status.selector` for a Rollout).
    let from_status = object
        .pointer("/status/selector")
        .and_then(Value::as_str)
        .map(str::to_string);
    let selector = object
        .pointer("/spec/selector/matchLabels")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default();
    let selector = from_status.unwrap_or(selector);
    let meta = object.get("metadata").cloned().unwrap_or(json!({}));
    json!({
        "kind": "Scale", "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": meta.get("name"), "namespace": meta.get("namespace"), "uid": meta.get("uid"),
            "resourceVersion": meta.get("resourceVersion"),
            "creationTimestamp": meta.get("creationTimestamp"),
        },
        "spec": {"replicas": object.pointer("/spec/replicas").cloned().unwrap_or(json!(1))},
        "status": {
            "replicas": object.pointer("/status/replicas").cloned().unwrap_or(json!(0)),
            "selector": selector,
        },
    })
}

/// Change `spec.replicas` of `name` through its `Scale` view; a
/// `resourceVersion` in the new `Scale` is checked as for any write.
pub fn write_scale(
    store: &Store,
    rt: &'static ResourceType,
    ns: &str,
    name: &str,
    change: impl FnOnce(&Value) -> Result<Value, ApiError>,
) -> Result<Value, ApiError> {
    let updated = store.modify(rt, ns, name, WriteTarget::Main, |old| {
        let scale = change(&scale_of(old))?;
        let replicas = scale
            .pointer("/spec/replicas")
            .cloned()
            .ok_or_else(|| ApiError::Invalid("spec.replicas: Required value".into()))?;
        let mut new = old.clone();
        if let Some(rv) = scale.pointer("/metadata/resourceVersion")
            && let Some(m) = new.get_mut("metadata").and_then(Value::as_object_mut)
        {
            m.insert("resourceVersion".into(), rv.clone());
        }
        if let Some(spec) = new.get_mut("spec").and_then(Value::as_object_mut) {
            spec.insert("replicas".into(), replicas);
        }
        Ok(new)
    })?;
    Ok(scale_of(&updated))
}
