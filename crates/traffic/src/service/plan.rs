//! What one Service must become, computed from the Service as read: the
//! merge patch that makes it select a revision and carry a [`Traffic`], the
//! merge patch that gives it back as it was, and the traffic it carries
//! now. Pure: no I/O, so every rule here is tested without a server.
//!
//! serin owns exactly three things on a Service: the selector key
//! [`POD_TEMPLATE_HASH_LABEL`], the [`ORIGINAL_ANNOTATION`] (the selector
//! before serin's first write, JSON, written once) and the
//! [`TRAFFIC_ANNOTATION`] (the whole traffic last applied, JSON). A patch
//! names nothing else, so the app's own selector keys and everyone else's
//! annotations are never sent, let alone replaced.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Service;
use serde::Serialize;
use serde_json::{Map, Value};
use serin_api::k8s::{ORIGINAL_ANNOTATION, POD_TEMPLATE_HASH_LABEL, TRAFFIC_ANNOTATION};
use serin_api::status::Traffic;

use super::role::Role;
use crate::RouterError;

/// The router's name, in errors and logs.
pub(super) const ROUTER: &str = "service";

/// A Service's `spec.selector`.
type Selector = BTreeMap<String, String>;

/// The merge patch that makes `svc` select `revision` (or, with none, the
/// value the key had before serin) and carry `traffic`; `None` when it
/// already does, so that applying the same traffic again writes nothing.
///
/// # Errors
/// [`RouterError::Invalid`] when serin's annotations are unreadable, or the
/// Service has no selector of its own to narrow.
pub(super) fn apply_patch(
    svc: &Service,
    revision: Option<&str>,
    traffic: &Traffic,
) -> Result<Option<Value>, RouterError> {
    let current = selector(svc);
    if !current.keys().any(|k| k != POD_TEMPLATE_HASH_LABEL) {
        return Err(invalid(
            svc,
            "spec.selector has no key of its own; serin narrows an existing selector \
             and never makes one that would select other apps' pods"
                .to_string(),
        ));
    }
    let recorded = original(svc)?;
    let before = recorded.as_ref().unwrap_or(&current);
    let want = revision.or(before.get(POD_TEMPLATE_HASH_LABEL).map(String::as_str));

    let mut annotations = Map::new();
    if recorded.is_none() {
        annotations.insert(ORIGINAL_ANNOTATION.into(), json_text(svc, &current)?.into());
    }
    // serin's own annotation is rewritten when it does not read as this
    // traffic, broken or not: it is only ever serin's record.
    let carried = annotation(svc, TRAFFIC_ANNOTATION)
        .and_then(|text| serde_json::from_str::<Traffic>(text).ok());
    if carried.as_ref() != Some(traffic) {
        annotations.insert(TRAFFIC_ANNOTATION.into(), json_text(svc, traffic)?.into());
    }
    let key_changes = current.get(POD_TEMPLATE_HASH_LABEL).map(String::as_str) != want;
    if annotations.is_empty() && !key_changes {
        return Ok(None);
    }
    let mut metadata = Map::new();
    metadata.insert("annotations".into(), Value::Object(annotations));
    let mut spec = Map::new();
    if key_changes {
        spec.insert("selector".into(), hash_key(want));
    }
    Ok(Some(patch(svc, metadata, spec)))
}

/// The merge patch that gives `svc` back as serin found it: the hash key
/// back to its value before serin (usually absent), serin's annotations
/// gone; `None` when serin never wrote it (or has restored it already).
///
/// # Errors
/// [`RouterError::Invalid`] when serin's record of the original is
/// unreadable or missing beside a traffic annotation.
pub(super) fn restore_patch(svc: &Service) -> Result<Option<Value>, RouterError> {
    let Some(before) = original(svc)? else {
        return Ok(None);
    };
    let want = before.get(POD_TEMPLATE_HASH_LABEL).map(String::as_str);
    let mut spec = Map::new();
    if selector(svc)
        .get(POD_TEMPLATE_HASH_LABEL)
        .map(String::as_str)
        != want
    {
        spec.insert("selector".into(), hash_key(want));
    }
    let ours = [ORIGINAL_ANNOTATION, TRAFFIC_ANNOTATION];
    let all = svc.metadata.annotations.as_ref();
    let only_ours = all.is_some_and(|a| a.keys().all(|k| ours.contains(&k.as_str())));
    let mut metadata = Map::new();
    let annotations = if only_ours {
        // Had no annotations before serin: leave none, not an empty map.
        Value::Null
    } else {
        Value::Object(ours.iter().map(|k| ((*k).into(), Value::Null)).collect())
    };
    metadata.insert("annotations".into(), annotations);
    Ok(Some(patch(svc, metadata, spec)))
}

/// The traffic `svc`, a Service in `role`, carries: the traffic in its
/// annotation, when its selector agrees with it; `None` when serin has not
/// written it or someone changed the selector since.
///
/// # Errors
/// [`RouterError::Invalid`] when serin's annotations are unreadable.
pub(super) fn carried(svc: &Service, role: Role) -> Result<Option<Traffic>, RouterError> {
    let Some(before) = original(svc)? else {
        return Ok(None);
    };
    let Some(text) = annotation(svc, TRAFFIC_ANNOTATION) else {
        return Ok(None);
    };
    let traffic: Traffic = serde_json::from_str(text).map_err(|e| {
        invalid(
            svc,
            format!("annotation {TRAFFIC_ANNOTATION} is not a traffic: {e}"),
        )
    })?;
    let want = role
        .revision(&traffic)
        .or(before.get(POD_TEMPLATE_HASH_LABEL).map(String::as_str));
    let selected = selector(svc)
        .get(POD_TEMPLATE_HASH_LABEL)
        .map(String::as_str)
        == want;
    Ok(selected.then_some(traffic))
}

/// The selector before serin's first write, from the
/// [`ORIGINAL_ANNOTATION`]; `None` when serin has not written the Service.
fn original(svc: &Service) -> Result<Option<Selector>, RouterError> {
    match annotation(svc, ORIGINAL_ANNOTATION) {
        Some(text) => serde_json::from_str(text).map(Some).map_err(|e| {
            invalid(
                svc,
                format!("annotation {ORIGINAL_ANNOTATION} is not a selector map: {e}"),
            )
        }),
        // A traffic record without the original means someone took the
        // original away: recording the selector now (serin's key included)
        // as the original would make a restore keep serin's key.
        None if annotation(svc, TRAFFIC_ANNOTATION).is_some() => Err(invalid(
            svc,
            format!(
                "annotation {TRAFFIC_ANNOTATION} without {ORIGINAL_ANNOTATION}; \
                 the selector before serin is unknown"
            ),
        )),
        None => Ok(None),
    }
}

/// `{"<hash label>": want}`, `null` removing the key.
fn hash_key(want: Option<&str>) -> Value {
    let value = want.map_or(Value::Null, |w| Value::String(w.into()));
    Value::Object(Map::from_iter([(POD_TEMPLATE_HASH_LABEL.into(), value)]))
}

/// The merge patch of `metadata` and `spec`, conditional on the
/// `resourceVersion` read: a write between our read and ours is refused
/// (409) instead of being overwritten with a decision taken on stale data.
fn patch(svc: &Service, mut metadata: Map<String, Value>, spec: Map<String, Value>) -> Value {
    if let Some(rv) = &svc.metadata.resource_version {
        metadata.insert("resourceVersion".into(), Value::String(rv.clone()));
    }
    let mut patch = Map::from_iter([("metadata".to_string(), Value::Object(metadata))]);
    if !spec.is_empty() {
        patch.insert("spec".into(), Value::Object(spec));
    }
    Value::Object(patch)
}

fn selector(svc: &Service) -> Selector {
    svc.spec
        .as_ref()
        .and_then(|s| s.selector.clone())
        .unwrap_or_default()
}

fn annotation<'a>(svc: &'a Service, key: &str) -> Option<&'a str> {
    svc.metadata
        .annotations
        .as_ref()?
        .get(key)
        .map(String::as_str)
}

fn json_text(svc: &Service, value: &impl Serialize) -> Result<String, RouterError> {
    serde_json::to_string(value).map_err(|e| invalid(svc, format!("cannot write JSON: {e}")))
}

/// [`RouterError::Invalid`] naming the Service.
fn invalid(svc: &Service, what: String) -> RouterError {
    RouterError::Invalid {
        router: ROUTER,
        message: format!("Service {}: {what}", object_name(svc)),
    }
}

/// `namespace/name` of a Service.
pub(super) fn object_name(svc: &Service) -> String {
    format!(
        "{}/{}",
        svc.metadata.namespace.as_deref().unwrap_or(""),
        svc.metadata.name.as_deref().unwrap_or("")
    )
}

#[cfg(test)]
mod tests;
