//! Routing objects without Rust types: the HTTPRoutes, VirtualServices and
//! DestinationRules the Gateway API and Istio routers drive are read and
//! written as JSON ([`Value`]) through `Api<DynamicObject>`, so that every
//! field serin does not own (including fields of API versions newer than
//! serin) goes back to the server untouched. Shared by both routers:
//! [`Store`] does the I/O (read, conditional merge patch, retry on a
//! conflict), the functions read and write serin's annotations.

use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use serin_api::k8s::{ORIGINAL_ANNOTATION, TRAFFIC_ANNOTATION};
use serin_api::status::Traffic;

use crate::RouterError;
use crate::conflict::{Named, patch_retrying};

/// One kind of routing object, in one namespace, for one router.
#[derive(Clone)]
pub(crate) struct Store {
    api: Api<DynamicObject>,
    named: Named,
}

impl Store {
    /// The objects of `group/version` `kind` (plural `plural`) in `namespace`.
    pub(crate) fn new(
        client: kube::Client,
        namespace: &str,
        router: &'static str,
        (group, version, kind, plural): (&str, &str, &'static str, &str),
    ) -> Self {
        let gvk = GroupVersionKind::gvk(group, version, kind);
        let resource = ApiResource::from_gvk_with_plural(&gvk, plural);
        Self {
            api: Api::namespaced_with(client, namespace, &resource),
            named: Named {
                router,
                kind,
                namespace: namespace.to_string(),
            },
        }
    }

    /// The object as stored.
    ///
    /// # Errors
    /// [`RouterError::NotFound`] when it does not exist; the client's error.
    pub(crate) async fn get(&self, name: &str) -> Result<Value, RouterError> {
        self.get_opt(name)
            .await?
            .ok_or_else(|| self.named.not_found(name))
    }

    /// The object as stored; `None` when it does not exist.
    ///
    /// # Errors
    /// The client's error.
    pub(crate) async fn get_opt(&self, name: &str) -> Result<Option<Value>, RouterError> {
        let found = self
            .api
            .get_opt(name)
            .await
            .map_err(|e| self.named.api_error(e))?;
        found
            .map(|o| serde_json::to_value(o).map_err(|e| self.invalid(name, e.to_string())))
            .transpose()
    }

    /// Sends `patch` (a merge patch carrying the `resourceVersion` read),
    /// made again with `make` from a fresh read on a conflict (see
    /// [`patch_retrying`]). `None` sends nothing.
    ///
    /// # Errors
    /// [`RouterError::NotFound`], the client's error, or `make`'s.
    pub(crate) async fn write(
        &self,
        name: &str,
        patch: Option<Value>,
        make: impl Fn(&Value) -> Result<Option<Value>, RouterError>,
    ) -> Result<(), RouterError> {
        let read = || self.get(name);
        patch_retrying(&self.api, &self.named, name, patch, read, make).await
    }

    fn invalid(&self, name: &str, what: String) -> RouterError {
        RouterError::Invalid {
            router: self.named.router,
            message: format!(
                "{} {}/{name}: {what}",
                self.named.kind, self.named.namespace
            ),
        }
    }
}

/// An object as read, with what the error messages need to name it.
#[derive(Clone, Copy)]
pub(crate) struct Object<'a> {
    /// The router reading it.
    pub router: &'static str,
    /// The object as stored.
    pub value: &'a Value,
}

impl<'a> Object<'a> {
    /// `value`, read by `router`.
    pub(crate) fn new(router: &'static str, value: &'a Value) -> Self {
        Self { router, value }
    }

    /// [`RouterError::Invalid`] naming the object (`Kind ns/name: what`).
    pub(crate) fn invalid(&self, what: impl std::fmt::Display) -> RouterError {
        let meta = &self.value["metadata"];
        RouterError::Invalid {
            router: self.router,
            message: format!(
                "{} {}/{}: {what}",
                self.value["kind"].as_str().unwrap_or("object"),
                meta["namespace"].as_str().unwrap_or(""),
                meta["name"].as_str().unwrap_or(""),
            ),
        }
    }

    /// The annotation `key`.
    pub(crate) fn annotation(&self, key: &str) -> Option<&'a str> {
        self.value["metadata"]["annotations"][key].as_str()
    }

    /// What serin recorded in [`ORIGINAL_ANNOTATION`] on its first write;
    /// `None` when serin has not written the object.
    ///
    /// # Errors
    /// The record does not parse, or a traffic record is there without it
    /// (someone took the original away; a record taken now would hold
    /// serin's own changes, and a restore would keep them).
    pub(crate) fn original<T: DeserializeOwned>(&self) -> Result<Option<T>, RouterError> {
        match self.annotation(ORIGINAL_ANNOTATION) {
            Some(text) => serde_json::from_str(text).map(Some).map_err(|e| {
                self.invalid(format!(
                    "annotation {ORIGINAL_ANNOTATION} is unreadable: {e}"
                ))
            }),
            None if self.annotation(TRAFFIC_ANNOTATION).is_some() => Err(self.invalid(format!(
                "annotation {TRAFFIC_ANNOTATION} without {ORIGINAL_ANNOTATION}; \
                 what was there before serin is unknown"
            ))),
            None => Ok(None),
        }
    }

    /// The traffic in [`TRAFFIC_ANNOTATION`], leniently: `None` when absent
    /// or unreadable (it is only serin's record, rewritten on apply).
    pub(crate) fn recorded_traffic(&self) -> Option<Traffic> {
        self.annotation(TRAFFIC_ANNOTATION)
            .and_then(|text| serde_json::from_str(text).ok())
    }

    /// The traffic in [`TRAFFIC_ANNOTATION`], strictly, for the read-back.
    ///
    /// # Errors
    /// The annotation is there and does not parse.
    pub(crate) fn traffic(&self) -> Result<Option<Traffic>, RouterError> {
        self.annotation(TRAFFIC_ANNOTATION)
            .map(|text| {
                serde_json::from_str(text).map_err(|e| {
                    self.invalid(format!(
                        "annotation {TRAFFIC_ANNOTATION} is not a traffic: {e}"
                    ))
                })
            })
            .transpose()
    }

    /// `value` as JSON text, for an annotation.
    ///
    /// # Errors
    /// It does not serialize.
    pub(crate) fn json_text(&self, value: &impl Serialize) -> Result<Value, RouterError> {
        serde_json::to_string(value)
            .map(Value::String)
            .map_err(|e| self.invalid(format!("cannot write JSON: {e}")))
    }

    /// The merge patch that makes the object carry `traffic` with `spec`
    /// (only the spec fields that change), recording `original` when serin
    /// has not written the object yet; `None` when nothing changes.
    ///
    /// # Errors
    /// A record does not serialize.
    pub(crate) fn apply_patch(
        &self,
        original: Option<&impl Serialize>,
        traffic: &Traffic,
        spec: Map<String, Value>,
    ) -> Result<Option<Value>, RouterError> {
        let mut annotations = Map::new();
        if let Some(original) = original {
            annotations.insert(ORIGINAL_ANNOTATION.into(), self.json_text(original)?);
        }
        if self.recorded_traffic().as_ref() != Some(traffic) {
            annotations.insert(TRAFFIC_ANNOTATION.into(), self.json_text(traffic)?);
        }
        if annotations.is_empty() && spec.is_empty() {
            return Ok(None);
        }
        Ok(Some(self.patch(Value::Object(annotations), spec)))
    }

    /// The merge patch that removes serin's annotations (the whole map when
    /// they were the only ones) and sets `spec`.
    pub(crate) fn restore_patch(&self, spec: Map<String, Value>) -> Value {
        let ours = [ORIGINAL_ANNOTATION, TRAFFIC_ANNOTATION];
        let only_ours = self.value["metadata"]["annotations"]
            .as_object()
            .is_some_and(|a| a.keys().all(|k| ours.contains(&k.as_str())));
        let annotations = if only_ours {
            Value::Null
        } else {
            Value::Object(ours.iter().map(|k| ((*k).into(), Value::Null)).collect())
        };
        self.patch(annotations, spec)
    }

    /// `{"metadata": {"resourceVersion", "annotations"}, "spec": spec}`:
    /// conditional on the `resourceVersion` read, so a write between our
    /// read and ours is refused (409) rather than overwritten.
    fn patch(&self, annotations: Value, spec: Map<String, Value>) -> Value {
        let mut metadata = Map::from_iter([("annotations".to_string(), annotations)]);
        if let Some(rv) = self.value["metadata"]["resourceVersion"].as_str() {
            metadata.insert("resourceVersion".into(), Value::String(rv.into()));
        }
        let mut patch = Map::from_iter([("metadata".to_string(), Value::Object(metadata))]);
        if !spec.is_empty() {
            patch.insert("spec".into(), Value::Object(spec));
        }
        Value::Object(patch)
    }
}

/// The JSON array at `value[field]`, empty when absent.
pub(crate) fn list<'a>(value: &'a Value, field: &str) -> &'a [Value] {
    value[field].as_array().map_or(&[], Vec::as_slice)
}
