//! The discovery documents (`/api`, `/apis`, `/api/v1`, `/apis/{group}/{version}`)
//! built from the resource table, in the legacy (non-aggregated) format, so
//! `kube::discovery` and `Api::<DynamicObject>` find every kind.

use serde_json::{Value, json};

use crate::resources::{RESOURCES, ResourceType};

/// `/api`: the core group's versions.
pub fn core_versions() -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}],
    })
}

fn groups() -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    for r in RESOURCES.iter().filter(|r| !r.group.is_empty()) {
        if !out.contains(&(r.group, r.version)) {
            out.push((r.group, r.version));
        }
    }
    out
}

/// `/apis`: every named group with its versions.
pub fn group_list() -> Value {
    let groups: Vec<Value> = groups()
        .into_iter()
        .map(|(g, v)| {
            let gv = json!({"groupVersion": format!("{g}/{v}"), "version": v});
            json!({"name": g, "versions": [gv.clone()], "preferredVersion": gv})
        })
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `/apis/{group}`: one group.
pub fn group(group: &str) -> Option<Value> {
    let (g, v) = groups().into_iter().find(|(g, _)| *g == group)?;
    let gv = json!({"groupVersion": format!("{g}/{v}"), "version": v});
    Some(json!({
        "kind": "APIGroup", "apiVersion": "v1", "name": g,
        "versions": [gv.clone()], "preferredVersion": gv,
    }))
}

const VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

fn resource_entries(r: &ResourceType) -> Vec<Value> {
    let mut out = vec![json!({
        "name": r.plural,
        "singularName": r.kind.to_lowercase(),
        "namespaced": r.namespaced,
        "kind": r.kind,
        "verbs": VERBS,
    })];
    if r.status {
        out.push(json!({
            "name": format!("{}/status", r.plural), "singularName": "",
            "namespaced": r.namespaced, "kind": r.kind, "verbs": ["get", "patch", "update"],
        }));
    }
    if r.scale {
        out.push(json!({
            "name": format!("{}/scale", r.plural), "singularName": "",
            "namespaced": r.namespaced, "group": "autoscaling", "version": "v1",
            "kind": "Scale", "verbs": ["get", "patch", "update"],
        }));
    }
    out
}

/// `/api/v1` or `/apis/{group}/{version}`: the resources of one group version.
pub fn resource_list(group: &str, version: &str) -> Option<Value> {
    let resources: Vec<Value> = RESOURCES
        .iter()
        .filter(|r| r.group == group && r.version == version)
        .flat_map(resource_entries)
        .collect();
    if resources.is_empty() {
        return None;
    }
    let gv = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    Some(json!({
        "kind": "APIResourceList", "apiVersion": "v1",
        "groupVersion": gv, "resources": resources,
    }))
}
