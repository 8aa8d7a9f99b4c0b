//! What one canary Ingress must be, computed from its stable Ingress as
//! read: the clone (rules, TLS and class of the stable Ingress, each path
//! to the stable Service turned to the canary Service, the others left
//! out), the write that makes the canary Ingress as it is read carry a
//! [`Traffic`] (a create, a merge patch, or nothing), and the traffic it
//! carries now. Pure: no I/O, so every rule here is tested without a
//! server.
//!
//! serin owns the canary Ingress it makes (the label
//! [`ROLLOUT_LABEL`] names the rollout) and, on it, exactly its `spec`'s
//! `rules`, `tls` and `ingressClassName`, the NGINX canary annotations,
//! `kubernetes.io/ingress.class` and the [`TRAFFIC_ANNOTATION`]; a patch
//! names nothing else. An Ingress of that name serin did not make is never
//! taken over.

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::{HTTPIngressRuleValue, Ingress, IngressRule, IngressSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;
use serde_json::{Map, Value};
use serin_api::k8s::{ROLLOUT_LABEL, TRAFFIC_ANNOTATION};
use serin_api::status::Traffic;

use super::ROUTER;
use super::annotations::{OWNED_SUFFIXES, render};
use super::config::NginxConfig;
use crate::RouterError;

/// The annotation older Ingress controllers select on; copied from the
/// stable Ingress so that the canary one goes to the same controller.
pub const INGRESS_CLASS_ANNOTATION: &str = "kubernetes.io/ingress.class";

/// The write that brings a canary Ingress to what it must be.
#[derive(Clone, Debug, PartialEq)]
pub enum Write {
    /// It does not exist: create it (the caller adds the owner reference).
    Create(Box<Ingress>),
    /// It exists: this JSON merge patch, conditional on the
    /// `resourceVersion` read.
    Patch(Value),
}

/// What a canary Ingress must hold.
#[derive(Clone, Debug, PartialEq)]
pub struct Desired {
    /// Its name.
    pub name: String,
    /// Its namespace.
    pub namespace: String,
    /// The rollout's name, for the ownership label.
    pub rollout: String,
    /// `rules`, `tls` and `ingressClassName`; nothing else.
    pub spec: IngressSpec,
    /// Every annotation serin owns that it must carry (full keys).
    pub annotations: BTreeMap<String, String>,
}

/// The canary Ingress `name` of `rollout` must be, cloned from `stable`
/// (as read) and carrying `traffic`.
///
/// # Errors
/// [`RouterError::Invalid`] when the spec lacks a Service, when the stable
/// Ingress has no path to the stable Service, or when NGINX cannot express
/// the traffic.
pub fn desired(
    config: &NginxConfig,
    rollout: &str,
    name: &str,
    stable: &Ingress,
    traffic: &Traffic,
) -> Result<Desired, RouterError> {
    let mut annotations = render(config, traffic)?;
    if let Some(class) = annotation(stable, INGRESS_CLASS_ANNOTATION) {
        annotations.insert(INGRESS_CLASS_ANNOTATION.into(), class.to_string());
    }
    annotations.insert(TRAFFIC_ANNOTATION.into(), json_text(traffic)?);
    Ok(Desired {
        name: name.to_string(),
        namespace: stable.metadata.namespace.clone().unwrap_or_default(),
        rollout: rollout.to_string(),
        spec: canary_spec(config, stable)?,
        annotations,
    })
}

/// The write that makes `current` (the canary Ingress as read, `None` when
/// absent) what `want` says; `None` when it already is, so that applying the
/// same traffic again writes nothing.
///
/// # Errors
/// [`RouterError::Invalid`] when an Ingress of that name exists that serin
/// did not make for this rollout.
pub fn write(
    config: &NginxConfig,
    want: &Desired,
    current: Option<&Ingress>,
) -> Result<Option<Write>, RouterError> {
    let Some(current) = current else {
        return Ok(Some(Write::Create(Box::new(create(want)))));
    };
    check_ours(current, &want.rollout)?;
    Ok(patch(config, want, current).map(Write::Patch))
}

/// The traffic `canary` (as read, `None` when absent) carries: the traffic
/// in its annotation, when the Ingress is still what serin would make of
/// `stable` for that traffic; `None` when serin has not made it, or someone
/// changed it (or the stable Ingress) since.
///
/// # Errors
/// [`RouterError::Invalid`] when the Ingress is not serin's, when its traffic
/// annotation is unreadable, or when the stable Ingress cannot be cloned.
pub fn carried(
    config: &NginxConfig,
    rollout: &str,
    stable: &Ingress,
    canary: Option<&Ingress>,
) -> Result<Option<Traffic>, RouterError> {
    let Some(canary) = canary else {
        return Ok(None);
    };
    check_ours(canary, rollout)?;
    let Some(text) = annotation(canary, TRAFFIC_ANNOTATION) else {
        return Ok(None);
    };
    let traffic: Traffic = serde_json::from_str(text).map_err(|e| {
        invalid(
            canary,
            format!("annotation {TRAFFIC_ANNOTATION} is not a traffic: {e}"),
        )
    })?;
    let name = canary.metadata.name.as_deref().unwrap_or_default();
    let want = match desired(config, rollout, name, stable, &traffic) {
        Ok(want) => want,
        // A traffic NGINX cannot express was not written by serin.
        Err(_) if render(config, &traffic).is_err() => return Ok(None),
        Err(e) => return Err(e),
    };
    Ok(patch(config, &want, canary).is_none().then_some(traffic))
}

/// Whether `ingress` is the canary Ingress serin made for `rollout`.
pub fn is_ours(ingress: &Ingress, rollout: &str) -> bool {
    ingress
        .metadata
        .labels
        .as_ref()
        .and_then(|l| l.get(ROLLOUT_LABEL))
        .is_some_and(|r| r == rollout)
}

fn check_ours(ingress: &Ingress, rollout: &str) -> Result<(), RouterError> {
    if is_ours(ingress, rollout) {
        return Ok(());
    }
    Err(invalid(
        ingress,
        format!(
            "exists and was not made by serin for rollout {rollout} (no label \
             {ROLLOUT_LABEL}={rollout}); serin does not take over an Ingress it did not make"
        ),
    ))
}

/// The stable Ingress's `rules` (each path to the stable Service, turned to
/// the canary Service; paths to other backends and rules left with none are
/// left out), `tls` and `ingressClassName`.
fn canary_spec(config: &NginxConfig, stable: &Ingress) -> Result<IngressSpec, RouterError> {
    let (stable_service, canary_service) = config.services()?;
    let spec = stable.spec.clone().unwrap_or_default();
    let mut rules = Vec::new();
    for rule in spec.rules.unwrap_or_default() {
        let paths: Vec<_> = rule
            .http
            .map(|h| h.paths)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|mut path| {
                let service = path.backend.service.as_mut()?;
                if service.name != stable_service {
                    return None;
                }
                service.name = canary_service.to_string();
                Some(path)
            })
            .collect();
        if !paths.is_empty() {
            rules.push(IngressRule {
                host: rule.host,
                http: Some(HTTPIngressRuleValue { paths }),
            });
        }
    }
    if rules.is_empty() {
        return Err(invalid(
            stable,
            format!(
                "spec.rules has no path whose backend is the stableService {stable_service}; \
                 there is nothing to send to the canary"
            ),
        ));
    }
    Ok(IngressSpec {
        rules: Some(rules),
        tls: spec.tls.filter(|t| !t.is_empty()),
        ingress_class_name: spec.ingress_class_name,
        default_backend: None,
    })
}

/// The canary Ingress to create (without its owner reference).
fn create(want: &Desired) -> Ingress {
    Ingress {
        metadata: ObjectMeta {
            name: Some(want.name.clone()),
            namespace: Some(want.namespace.clone()),
            labels: Some(BTreeMap::from([(
                ROLLOUT_LABEL.to_string(),
                want.rollout.clone(),
            )])),
            annotations: Some(want.annotations.clone()),
            ..ObjectMeta::default()
        },
        spec: Some(want.spec.clone()),
        status: None,
    }
}

/// The merge patch from `current` to `want`, naming only what serin owns
/// and differs; `None` when nothing does.
fn patch(config: &NginxConfig, want: &Desired, current: &Ingress) -> Option<Value> {
    let mut annotations = Map::new();
    let owned = OWNED_SUFFIXES
        .iter()
        .map(|s| config.key(s))
        .chain([INGRESS_CLASS_ANNOTATION, TRAFFIC_ANNOTATION].map(String::from));
    for key in owned {
        let wanted = want.annotations.get(&key).map(String::as_str);
        if annotation(current, &key) != wanted {
            annotations.insert(key, wanted.map_or(Value::Null, |v| Value::String(v.into())));
        }
    }
    let have = current.spec.clone().unwrap_or_default();
    let mut spec = Map::new();
    if have.rules != want.spec.rules {
        spec.insert("rules".into(), to_json(&want.spec.rules));
    }
    if have.tls.filter(|t| !t.is_empty()) != want.spec.tls {
        spec.insert("tls".into(), to_json(&want.spec.tls));
    }
    if have.ingress_class_name != want.spec.ingress_class_name {
        spec.insert(
            "ingressClassName".into(),
            to_json(&want.spec.ingress_class_name),
        );
    }
    if annotations.is_empty() && spec.is_empty() {
        return None;
    }
    let mut metadata = Map::new();
    if !annotations.is_empty() {
        metadata.insert("annotations".into(), Value::Object(annotations));
    }
    // Conditional on what was read: a write in between is refused (409)
    // rather than overwritten with a decision taken on stale data.
    if let Some(rv) = &current.metadata.resource_version {
        metadata.insert("resourceVersion".into(), Value::String(rv.clone()));
    }
    let mut body = Map::from_iter([("metadata".to_string(), Value::Object(metadata))]);
    if !spec.is_empty() {
        body.insert("spec".into(), Value::Object(spec));
    }
    Some(Value::Object(body))
}

/// `value` as JSON; `null` for `None`. The k8s-openapi types always
/// serialize.
fn to_json(value: &impl Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

fn json_text(traffic: &Traffic) -> Result<String, RouterError> {
    serde_json::to_string(traffic).map_err(|e| RouterError::Invalid {
        router: ROUTER,
        message: format!("cannot write the traffic as JSON: {e}"),
    })
}

fn annotation<'a>(ingress: &'a Ingress, key: &str) -> Option<&'a str> {
    ingress
        .metadata
        .annotations
        .as_ref()?
        .get(key)
        .map(String::as_str)
}

/// [`RouterError::Invalid`] naming the Ingress.
fn invalid(ingress: &Ingress, what: String) -> RouterError {
    RouterError::Invalid {
        router: ROUTER,
        message: format!(
            "Ingress {}/{}: {what}",
            ingress.metadata.namespace.as_deref().unwrap_or_default(),
            ingress.metadata.name.as_deref().unwrap_or_default()
        ),
    }
}

#[cfg(test)]
mod tests;
