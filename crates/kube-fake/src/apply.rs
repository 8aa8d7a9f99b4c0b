//! Server-side apply, simplified but with its two rules that change results:
//! **field ownership** (each apply manager owns the fields of its last
//! applied configuration, recorded in `metadata.managedFields` as FieldsV1)
//! and **removal** (a field the manager applied before and leaves out now is
//! removed, unless another manager owns it). Applying a different value to a
//! field another apply manager owns is a 409 Conflict unless `force=true`,
//! which takes the field over. Lists are atomic (one field, replaced whole;
//! no merge by key), and writes other than apply take no ownership.

use serde_json::{Map, Value, json};

use crate::error::ApiError;

/// What part of the object an apply is to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The main resource: everything but `status` (when the kind has a status subresource).
    Main {
        /// Whether `status` belongs to the `/status` subresource.
        status_separate: bool,
    },
    /// The `/status` subresource: only `status`.
    Status,
}

type Path = Vec<String>;

/// The FieldsV1 set of the fields a configuration sets, within `scope`.
pub fn fieldset(config: &Value, scope: Scope) -> Value {
    let mut out = Map::new();
    let Some(map) = config.as_object() else {
        return Value::Object(out);
    };
    for (k, v) in map {
        let keep = match (scope, k.as_str()) {
            (_, "apiVersion" | "kind") => false,
            (Scope::Status, key) => key == "status",
            (Scope::Main { status_separate }, "status") => !status_separate,
            (Scope::Main { .. }, _) => true,
        };
        if !keep {
            continue;
        }
        if v.as_object().is_some_and(Map::is_empty) {
            continue;
        }
        let sub = if k == "metadata" {
            let mut meta = Map::new();
            for field in ["labels", "annotations", "finalizers", "ownerReferences"] {
                if let Some(x) = v.get(field) {
                    meta.insert(format!("f:{field}"), nested(x));
                }
            }
            if meta.is_empty() {
                continue;
            }
            Value::Object(meta)
        } else {
            nested(v)
        };
        out.insert(format!("f:{k}"), sub);
    }
    Value::Object(out)
}

/// The set under one value: a map's fields (an empty map claims nothing),
/// or a leaf for a scalar or a list.
fn nested(v: &Value) -> Value {
    match v.as_object() {
        Some(map) => Value::Object(
            map.iter()
                .filter(|(_, x)| x.as_object().is_none_or(|m| !m.is_empty()))
                .map(|(k, x)| (format!("f:{k}"), nested(x)))
                .collect(),
        ),
        None => json!({}),
    }
}

/// The leaf paths of a FieldsV1 set.
fn leaves(set: &Value) -> Vec<Path> {
    let mut out = Vec::new();
    walk(set, &mut Vec::new(), &mut out);
    out
}

fn walk(set: &Value, prefix: &mut Path, out: &mut Vec<Path>) {
    let Some(map) = set.as_object().filter(|m| !m.is_empty()) else {
        if !prefix.is_empty() {
            out.push(prefix.clone());
        }
        return;
    };
    for (k, v) in map {
        prefix.push(k.trim_start_matches("f:").to_string());
        walk(v, prefix, out);
        prefix.pop();
    }
}

fn get<'a>(object: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(object, |v, k| v.get(k))
}

fn remove(object: &mut Value, path: &[String]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut cur = object;
    for k in parents {
        match cur.get_mut(k) {
            Some(next) => cur = next,
            None => return,
        }
    }
    if let Some(map) = cur.as_object_mut() {
        map.remove(last);
    }
}

/// Whether `set` has a node at `path` (the field itself or fields under it).
fn owns(set: &Value, path: &[String]) -> bool {
    node(set, path).is_some()
}

/// Whether `set` has `path` as a leaf: the field is owned whole.
fn owns_leaf(set: &Value, path: &[String]) -> bool {
    node(set, path).is_some_and(|n| n.as_object().is_none_or(Map::is_empty))
}

fn node<'a>(set: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter()
        .try_fold(set, |cur, k| cur.get(format!("f:{k}")))
}

fn drop_path(set: &mut Value, path: &[String]) {
    let keys: Vec<String> = path.iter().map(|k| format!("f:{k}")).collect();
    remove(set, &keys);
}

fn subresource(scope: Scope) -> Option<&'static str> {
    match scope {
        Scope::Status => Some("status"),
        Scope::Main { .. } => None,
    }
}

fn entries(object: &Value) -> Vec<Value> {
    object
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

fn is_apply_entry(e: &Value, scope: Scope) -> bool {
    e.get("operation").and_then(Value::as_str) == Some("Apply")
        && e.get("subresource").and_then(Value::as_str) == subresource(scope)
}

/// The managed-fields entry for `manager` applying `set`.
fn entry(manager: &str, api_version: &str, set: Value, scope: Scope) -> Value {
    let mut e = json!({
        "manager": manager,
        "operation": "Apply",
        "apiVersion": api_version,
        "time": jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "fieldsType": "FieldsV1",
        "fieldsV1": set,
    });
    if let Some(sub) = subresource(scope) {
        e["subresource"] = json!(sub);
    }
    e
}

/// Record `manager`'s fields on an object created by an apply.
pub fn on_create(object: &mut Value, config: &Value, manager: &str, scope: Scope) {
    let api_version = object
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let set = fieldset(config, scope);
    if let Some(m) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        m.insert(
            "managedFields".into(),
            json!([entry(manager, &api_version, set, scope)]),
        );
    }
}

/// Apply `config` as `manager` to `current`: the new object, or a 409 listing
/// the fields another manager owns with another value.
pub fn apply(
    current: &Value,
    config: &Value,
    manager: &str,
    force: bool,
    scope: Scope,
) -> Result<Value, ApiError> {
    let set = fieldset(config, scope);
    let mut managed = entries(current);
    let mine = managed.iter().position(|e| {
        e.get("manager").and_then(Value::as_str) == Some(manager) && is_apply_entry(e, scope)
    });
    let previous = mine
        .map(|i| managed[i].get("fieldsV1").cloned().unwrap_or(json!({})))
        .unwrap_or(json!({}));

    // Conflicts with other apply managers.
    let mut conflicts = Vec::new();
    for path in leaves(&set) {
        if get(current, &path) == get(config, &path) {
            continue;
        }
        for (i, e) in managed.iter().enumerate() {
            if Some(i) == mine || !is_apply_entry(e, scope) {
                continue;
            }
            if owns_leaf(e.get("fieldsV1").unwrap_or(&Value::Null), &path) {
                let other = e.get("manager").and_then(Value::as_str).unwrap_or("");
                conflicts.push((i, other.to_string(), path.clone()));
            }
        }
    }
    if !conflicts.is_empty() && !force {
        let list: Vec<String> = conflicts
            .iter()
            .map(|(_, m, p)| format!("conflict with \"{m}\": .{}", p.join(".")))
            .collect();
        return Err(ApiError::ApplyConflict(format!(
            "Apply failed with {} conflict{}: {}",
            list.len(),
            if list.len() == 1 { "" } else { "s" },
            list.join("; ")
        )));
    }
    for (i, _, path) in &conflicts {
        if let Some(fields) = managed[*i].get_mut("fieldsV1") {
            drop_path(fields, path);
        }
    }

    // The merge, then the fields this manager no longer applies.
    let mut out = current.clone();
    json_patch::merge(&mut out, config);
    for path in leaves(&previous) {
        if owns(&set, &path) {
            continue;
        }
        let owned_elsewhere = managed.iter().enumerate().any(|(i, e)| {
            Some(i) != mine && owns(e.get("fieldsV1").unwrap_or(&Value::Null), &path)
        });
        if !owned_elsewhere {
            remove(&mut out, &path);
        }
    }

    let api_version = current
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("");
    let new_entry = entry(manager, api_version, set, scope);
    match mine {
        Some(i) => managed[i] = new_entry,
        None => managed.push(new_entry),
    }
    if let Some(m) = out.get_mut("metadata").and_then(Value::as_object_mut) {
        m.insert("managedFields".into(), Value::Array(managed));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAIN: Scope = Scope::Main {
        status_separate: true,
    };

    #[test]
    fn fieldset_names_leaves_and_keeps_lists_atomic() {
        let set = fieldset(
            &json!({"apiVersion": "v1", "kind": "X", "metadata": {"name": "a", "labels": {"k": "v"}},
                    "spec": {"replicas": 1, "ports": [1, 2]}, "status": {"x": 1}}),
            MAIN,
        );
        assert_eq!(
            set,
            json!({"f:metadata": {"f:labels": {"f:k": {}}}, "f:spec": {"f:replicas": {}, "f:ports": {}}})
        );
    }

    #[test]
    fn a_field_left_out_of_the_next_apply_is_removed_unless_another_manager_owns_it() {
        let base = json!({"apiVersion": "v1", "kind": "X", "metadata": {"name": "a"}, "spec": {}});
        let first = apply(
            &base,
            &json!({"spec": {"a": 1, "b": 2}}),
            "one",
            false,
            MAIN,
        )
        .expect("one");
        let other = apply(&first, &json!({"spec": {"b": 2}}), "two", false, MAIN).expect("two");
        let second = apply(&other, &json!({"spec": {}}), "one", false, MAIN).expect("one again");
        assert_eq!(second["spec"], json!({"b": 2}));
    }

    #[test]
    fn changing_a_field_another_manager_applied_conflicts_unless_forced() {
        let base = json!({"apiVersion": "v1", "kind": "X", "metadata": {"name": "a"}});
        let one = apply(&base, &json!({"spec": {"a": 1}}), "one", false, MAIN).expect("one");
        let err =
            apply(&one, &json!({"spec": {"a": 2}}), "two", false, MAIN).expect_err("conflict");
        assert_eq!(err.code(), 409);
        let forced = apply(&one, &json!({"spec": {"a": 2}}), "two", true, MAIN).expect("forced");
        assert_eq!(forced["spec"]["a"], 2);
        // "one" no longer owns spec.a: applying without it removes nothing.
        let again = apply(&forced, &json!({"spec": {}}), "one", false, MAIN).expect("one");
        assert_eq!(again["spec"]["a"], 2);
    }
}
