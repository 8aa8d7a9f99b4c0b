//! The HTTP surface: maps a request's method and path (the real Kubernetes
//! paths, namespaced and cluster-scoped, with the `status` and `scale`
//! subresources) to the store, the patch types and watches, and renders
//! every refusal as a `Status` object.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::Shared;
use crate::apply;
use crate::discovery;
use crate::error::ApiError;
use crate::faults::Verb;
use crate::patch::{self, PatchType};
use crate::resources::{self, ResourceType};
use crate::scale::{scale_of, write_scale};
use crate::selectors::{FieldSelector, LabelSelector};
use crate::store::{Propagation, WriteTarget};
use crate::watch;

/// A subresource named in the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sub {
    Status,
    Scale,
}

/// What a resource path names.
struct Target {
    rt: &'static ResourceType,
    namespace: Option<String>,
    name: Option<String>,
    sub: Option<Sub>,
}

enum Route {
    Document(Value),
    Resource(Target),
}

fn json_response(code: StatusCode, body: &Value) -> Response {
    (
        code,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn error_response(err: &ApiError) -> Response {
    let code = StatusCode::from_u16(err.code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    json_response(code, &err.status())
}

fn not_found_path(path: &str) -> ApiError {
    ApiError::NotFound {
        resource: "the server could not find the requested resource".into(),
        name: path.into(),
    }
}

fn route(path: &str) -> Result<Route, ApiError> {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, version, rest) = match segs.as_slice() {
        ["api"] => return Ok(Route::Document(discovery::core_versions())),
        ["apis"] => return Ok(Route::Document(discovery::group_list())),
        ["apis", g] => {
            return discovery::group(g)
                .map(Route::Document)
                .ok_or_else(|| not_found_path(path));
        }
        ["api", v] => {
            return discovery::resource_list("", v)
                .map(Route::Document)
                .ok_or_else(|| not_found_path(path));
        }
        ["apis", g, v] => {
            return discovery::resource_list(g, v)
                .map(Route::Document)
                .ok_or_else(|| not_found_path(path));
        }
        ["api", v, rest @ ..] => ("", *v, rest),
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => return Err(not_found_path(path)),
    };
    let (namespace, rest) = match rest {
        ["namespaces", ns, rest @ ..] if !rest.is_empty() => (Some(ns.to_string()), rest),
        _ => (None, rest),
    };
    let (plural, name, sub) = match rest {
        [plural] => (*plural, None, None),
        [plural, name] => (*plural, Some(name.to_string()), None),
        [plural, name, "status"] => (*plural, Some(name.to_string()), Some(Sub::Status)),
        [plural, name, "scale"] => (*plural, Some(name.to_string()), Some(Sub::Scale)),
        _ => return Err(not_found_path(path)),
    };
    let rt = resources::find(group, version, plural).ok_or_else(|| not_found_path(path))?;
    if (namespace.is_some() && !rt.namespaced)
        || (rt.namespaced && namespace.is_none() && name.is_some())
        || (sub == Some(Sub::Status) && !rt.status)
        || (sub == Some(Sub::Scale) && !rt.scale)
    {
        return Err(not_found_path(path));
    }
    Ok(Route::Resource(Target {
        rt,
        namespace,
        name,
        sub,
    }))
}

fn verb_of(method: &Method, target: Option<&Target>, watch: bool) -> Verb {
    let named = target.is_none_or(|t| t.name.is_some());
    match *method {
        Method::POST => Verb::Create,
        Method::PUT => Verb::Update,
        Method::PATCH => Verb::Patch,
        Method::DELETE => Verb::Delete,
        _ if named => Verb::Get,
        _ if watch => Verb::Watch,
        _ => Verb::List,
    }
}

fn parse_body(body: &Bytes) -> Result<Value, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("the body is not valid JSON: {e}")))
}

fn is_true(q: &HashMap<String, String>, key: &str) -> bool {
    q.get(key).is_some_and(|v| v == "true" || v == "1")
}

/// The single handler behind every path.
pub async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    let watching = is_true(&query, "watch");
    let routed = route(&path);
    let verb = verb_of(
        &method,
        match &routed {
            Ok(Route::Resource(t)) => Some(t),
            _ => None,
        },
        watching,
    );
    if let Err(err) = shared.faults.observe(verb, &path) {
        return error_response(&err);
    }
    if let Some(delay) = shared.faults.delay_for(verb, &path) {
        tokio::time::sleep(delay).await;
    }
    let target = match routed {
        Ok(Route::Document(doc)) if method == Method::GET => {
            return json_response(StatusCode::OK, &doc);
        }
        Ok(Route::Document(_)) => return error_response(&ApiError::MethodNotAllowed),
        Ok(Route::Resource(t)) => t,
        Err(err) => return error_response(&err),
    };
    if verb == Verb::Watch {
        return watch_response(&shared, &target, &query, metadata_only(&headers));
    }
    let result = serve(&shared, &target, verb, &headers, &query, &body);
    let mutated = matches!(
        verb,
        Verb::Create | Verb::Update | Verb::Patch | Verb::Delete
    );
    if mutated && let Ok((_, object)) = &result {
        let ns = target.namespace.as_deref().unwrap_or("");
        if target.name.is_none() && verb == Verb::Delete {
            shared.reconcile_all();
        } else if target.sub == Some(Sub::Scale) {
            if let Ok(current) =
                shared
                    .store
                    .get(target.rt, ns, target.name.as_deref().unwrap_or(""))
            {
                shared.after_write(target.rt, ns, &current);
            }
        } else {
            shared.after_write(target.rt, ns, object);
        }
    }
    match result {
        Ok((code, value)) if metadata_only(&headers) && matches!(verb, Verb::Get | Verb::List) => {
            json_response(code, &to_metadata(value))
        }
        Ok((code, value)) => json_response(code, &value),
        Err(err) => error_response(&err),
    }
}

/// Whether the client asked for `PartialObjectMetadata` (`Accept: ...;as=PartialObjectMetadata...`).
fn metadata_only(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("as=PartialObjectMetadata"))
}

fn watch_response(
    shared: &Arc<Shared>,
    target: &Target,
    query: &HashMap<String, String>,
    metadata_only: bool,
) -> Response {
    let selectors = (|| -> Result<(LabelSelector, FieldSelector), ApiError> {
        Ok((
            LabelSelector::parse(query.get("labelSelector").map_or("", String::as_str))?,
            FieldSelector::parse(
                query.get("fieldSelector").map_or("", String::as_str),
                target.rt,
            )?,
        ))
    })();
    let (labels, fields) = match selectors {
        Ok(s) => s,
        Err(err) => return error_response(&err),
    };
    let from = match query.get("resourceVersion").map(String::as_str) {
        None | Some("") | Some("0") => None,
        Some(rv) => match rv.parse::<u64>() {
            Ok(rv) => Some(rv),
            Err(_) => {
                return error_response(&ApiError::BadRequest(format!(
                    "invalid resourceVersion: {rv}"
                )));
            }
        },
    };
    let options = watch::WatchOptions {
        resource: target.rt,
        namespace: target.namespace.clone(),
        from,
        labels,
        fields,
        bookmarks: is_true(query, "allowWatchBookmarks"),
        bookmark_interval: shared.options.bookmark_interval,
        timeout: query
            .get("timeoutSeconds")
            .and_then(|t| t.parse::<u64>().ok())
            .map_or(
                shared.options.default_watch_timeout,
                std::time::Duration::from_secs,
            ),
        send_initial_events: is_true(query, "sendInitialEvents"),
        metadata_only,
    };
    let stream = watch::stream(Arc::clone(shared), options);
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from_stream(stream))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// A get or list answer as `PartialObjectMetadata` / `PartialObjectMetadataList`.
fn to_metadata(mut value: Value) -> Value {
    let Some(items) = value.get_mut("items").and_then(Value::as_array_mut) else {
        return watch::partial_metadata(&value);
    };
    let items: Vec<Value> = items.iter().map(watch::partial_metadata).collect();
    json!({
        "apiVersion": "meta.k8s.io/v1",
        "kind": "PartialObjectMetadataList",
        "metadata": value.get("metadata").cloned().unwrap_or(json!({})),
        "items": items,
    })
}

/// A `continue` token: the namespace and name of the last object of the previous page.
fn parse_continue(token: &str) -> Result<(String, String), ApiError> {
    token
        .split_once('/')
        .map(|(ns, name)| (ns.to_string(), name.to_string()))
        .ok_or_else(|| ApiError::BadRequest(format!("invalid continue token: {token}")))
}

fn list_kind(rt: &ResourceType) -> String {
    format!("{}List", rt.kind)
}

fn serve(
    shared: &Shared,
    t: &Target,
    verb: Verb,
    headers: &HeaderMap,
    query: &HashMap<String, String>,
    body: &Bytes,
) -> Result<(StatusCode, Value), ApiError> {
    let store = &shared.store;
    let ns = t.namespace.as_deref().unwrap_or("");
    let name = t.name.as_deref().unwrap_or("");
    let target = if t.sub == Some(Sub::Status) {
        WriteTarget::Status
    } else {
        WriteTarget::Main
    };
    match (verb, t.sub) {
        (Verb::List, _) => {
            let labels =
                LabelSelector::parse(query.get("labelSelector").map_or("", String::as_str))?;
            let fields =
                FieldSelector::parse(query.get("fieldSelector").map_or("", String::as_str), t.rt)?;
            let limit = query
                .get("limit")
                .and_then(|l| l.parse::<usize>().ok())
                .filter(|l| *l > 0);
            let after = match query.get("continue").filter(|c| !c.is_empty()) {
                Some(token) => Some(parse_continue(token)?),
                None => None,
            };
            let page = store.list_page(
                t.rt,
                t.namespace.as_deref(),
                |o| labels.matches(o) && fields.matches(o),
                after,
                limit,
            );
            let mut metadata = json!({"resourceVersion": page.resource_version.to_string()});
            if let Some((ns, name)) = page.next {
                metadata["continue"] = json!(format!("{ns}/{name}"));
            }
            Ok((
                StatusCode::OK,
                json!({
                    "kind": list_kind(t.rt), "apiVersion": t.rt.api_version(),
                    "metadata": metadata, "items": page.items,
                }),
            ))
        }
        (Verb::Get, Some(Sub::Scale)) => {
            Ok((StatusCode::OK, scale_of(&store.get(t.rt, ns, name)?)))
        }
        (Verb::Get, _) => Ok((StatusCode::OK, store.get(t.rt, ns, name)?)),
        (Verb::Create, None) if t.name.is_none() => {
            if t.rt.namespaced && t.namespace.is_none() {
                return Err(ApiError::MethodNotAllowed);
            }
            Ok((
                StatusCode::CREATED,
                store.create(t.rt, ns, parse_body(body)?)?,
            ))
        }
        (Verb::Update, Some(Sub::Scale)) => {
            let scale = parse_body(body)?;
            Ok((
                StatusCode::OK,
                write_scale(store, t.rt, ns, name, |_| Ok(scale))?,
            ))
        }
        (Verb::Update, _) => {
            let desired = parse_body(body)?;
            Ok((
                StatusCode::OK,
                store.modify(t.rt, ns, name, target, |_| Ok(desired))?,
            ))
        }
        (Verb::Patch, sub) => {
            let content_type = headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let kind = PatchType::from_content_type(content_type)?;
            let patch_body = parse_body(body)?;
            if sub == Some(Sub::Scale) {
                return Ok((
                    StatusCode::OK,
                    write_scale(store, t.rt, ns, name, |scale| {
                        patch::apply(kind, scale, &patch_body)
                    })?,
                ));
            }
            if kind == PatchType::Apply {
                let manager = query
                    .get("fieldManager")
                    .filter(|m| !m.is_empty())
                    .ok_or_else(|| {
                        ApiError::BadRequest(
                            "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch".into(),
                        )
                    })?;
                let force = is_true(query, "force");
                let scope = match sub {
                    Some(Sub::Status) => apply::Scope::Status,
                    _ => apply::Scope::Main {
                        status_separate: t.rt.status,
                    },
                };
                if sub.is_none() && store.get(t.rt, ns, name).is_err() {
                    let mut object = patch_body.clone();
                    if let Some(map) = object.as_object_mut() {
                        map.insert("apiVersion".into(), json!(t.rt.api_version()));
                        let m = map.entry("metadata").or_insert_with(|| json!({}));
                        if let Some(m) = m.as_object_mut() {
                            m.insert("name".into(), json!(name));
                        }
                    }
                    apply::on_create(&mut object, &patch_body, manager, scope);
                    return Ok((StatusCode::CREATED, store.create(t.rt, ns, object)?));
                }
                return Ok((
                    StatusCode::OK,
                    store.modify(t.rt, ns, name, target, |old| {
                        apply::apply(old, &patch_body, manager, force, scope)
                    })?,
                ));
            }
            Ok((
                StatusCode::OK,
                store.modify(t.rt, ns, name, target, |old| {
                    patch::apply(kind, old, &patch_body)
                })?,
            ))
        }
        (Verb::Delete, None) => {
            let options = if body.is_empty() {
                json!({})
            } else {
                parse_body(body)?
            };
            let policy = options
                .get("propagationPolicy")
                .and_then(Value::as_str)
                .or(query.get("propagationPolicy").map(String::as_str));
            let propagation = match policy {
                Some("Orphan") => Propagation::Orphan,
                Some("Foreground") => Propagation::Foreground,
                _ => Propagation::Background,
            };
            let precondition = options
                .pointer("/preconditions/resourceVersion")
                .and_then(Value::as_str)
                .map(str::to_string);
            if t.name.is_some() {
                let gone = store.delete(t.rt, ns, name, propagation, precondition)?;
                return Ok((StatusCode::OK, gone));
            }
            // deletecollection: every object the selectors match.
            let labels =
                LabelSelector::parse(query.get("labelSelector").map_or("", String::as_str))?;
            let fields =
                FieldSelector::parse(query.get("fieldSelector").map_or("", String::as_str), t.rt)?;
            let page = store.list_page(
                t.rt,
                t.namespace.as_deref(),
                |o| labels.matches(o) && fields.matches(o),
                None,
                None,
            );
            let mut deleted = Vec::new();
            for object in page.items {
                let ns = object
                    .pointer("/metadata/namespace")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let name = object
                    .pointer("/metadata/name")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                deleted.push(store.delete(t.rt, ns, name, propagation, None)?);
            }
            Ok((
                StatusCode::OK,
                json!({
                    "kind": list_kind(t.rt), "apiVersion": t.rt.api_version(),
                    "metadata": {"resourceVersion": store.resource_version().to_string()},
                    "items": deleted,
                }),
            ))
        }
        _ => Err(ApiError::MethodNotAllowed),
    }
}
