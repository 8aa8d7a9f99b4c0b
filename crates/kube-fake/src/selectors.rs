//! Label and field selectors as the API server parses them from
//! `labelSelector` and `fieldSelector`: equality (`=`, `==`), `!=`, `in`,
//! `notin`, existence (`key`, `!key`); fields with `=`/`==`/`!=`:
//! `metadata.name` and `metadata.namespace` for every kind, and for Events
//! the fields the API server adds (core/v1: `involvedObject.kind`,
//! `.namespace`, `.name`, `.uid`, `.apiVersion`, `.resourceVersion`,
//! `.fieldPath`, `reason`, `type`, `reportingComponent`, `source`;
//! events.k8s.io/v1: the same under `regarding.*`, and
//! `reportingController`). Any other field is refused, as the server does.

use serde_json::Value;

use crate::error::ApiError;
use crate::resources::ResourceType;

/// One requirement of a label selector.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

/// A parsed label selector; the empty selector matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector(Vec<Requirement>);

/// Split on commas outside parentheses.
fn split_top(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out.into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect()
}

fn set_values(rest: &str) -> Result<Vec<String>, ApiError> {
    let inner = rest
        .trim()
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .ok_or_else(|| ApiError::BadRequest(format!("invalid label selector set: {rest}")))?;
    Ok(inner
        .split(',')
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect())
}

impl LabelSelector {
    /// Parse a `labelSelector` query value.
    pub fn parse(s: &str) -> Result<Self, ApiError> {
        let mut reqs = Vec::new();
        for part in split_top(s) {
            let req = if let Some((k, v)) = part.split_once("!=") {
                Requirement::NotEquals(k.trim().into(), v.trim().into())
            } else if let Some((k, v)) = part.split_once("==") {
                Requirement::Equals(k.trim().into(), v.trim().into())
            } else if let Some((k, v)) = part.split_once('=') {
                Requirement::Equals(k.trim().into(), v.trim().into())
            } else if let Some((k, rest)) = part.split_once(" notin ") {
                Requirement::NotIn(k.trim().into(), set_values(rest)?)
            } else if let Some((k, rest)) = part.split_once(" in ") {
                Requirement::In(k.trim().into(), set_values(rest)?)
            } else if let Some(k) = part.strip_prefix('!') {
                Requirement::NotExists(k.trim().into())
            } else if part
                .chars()
                .all(|c| c.is_alphanumeric() || "-_./".contains(c))
            {
                Requirement::Exists(part.into())
            } else {
                return Err(ApiError::BadRequest(format!(
                    "unable to parse requirement: {part}"
                )));
            };
            reqs.push(req);
        }
        Ok(Self(reqs))
    }

    /// Whether an object's labels satisfy every requirement.
    pub fn matches(&self, object: &Value) -> bool {
        let labels = object.pointer("/metadata/labels");
        let get = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
        self.0.iter().all(|r| match r {
            Requirement::Equals(k, v) => get(k) == Some(v.as_str()),
            Requirement::NotEquals(k, v) => get(k) != Some(v.as_str()),
            Requirement::In(k, vs) => get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            Requirement::NotIn(k, vs) => get(k).is_none_or(|x| vs.iter().all(|v| v != x)),
            Requirement::Exists(k) => get(k).is_some(),
            Requirement::NotExists(k) => get(k).is_none(),
        })
    }
}

/// A parsed field selector: per requirement, the JSON pointer of the
/// field, whether it must equal (or differ from) the value, the value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSelector(Vec<(String, bool, String)>);

/// The fields under an Event's object reference (`involvedObject` in
/// core/v1, `regarding` in events.k8s.io/v1).
const REFERENCE_FIELDS: [&str; 7] = [
    "kind",
    "namespace",
    "name",
    "uid",
    "apiVersion",
    "resourceVersion",
    "fieldPath",
];

/// Where the field label `field` is in an object of kind `rt`, as a JSON
/// pointer; `None` when the API server does not support it for the kind.
fn pointer(rt: &ResourceType, field: &str) -> Option<String> {
    match field {
        "metadata.name" => return Some("/metadata/name".into()),
        "metadata.namespace" => return Some("/metadata/namespace".into()),
        _ => {}
    }
    if rt.kind != "Event" {
        return None;
    }
    let (reference, reporter) = match rt.group {
        "" => ("involvedObject", "reportingComponent"),
        "events.k8s.io" => ("regarding", "reportingController"),
        _ => return None,
    };
    if let Some((head, tail)) = field.split_once('.')
        && head == reference
        && REFERENCE_FIELDS.contains(&tail)
    {
        return Some(format!("/{reference}/{tail}"));
    }
    match field {
        "reason" | "type" => Some(format!("/{field}")),
        f if f == reporter => Some(format!("/{f}")),
        "source" if rt.group.is_empty() => Some("/source/component".into()),
        _ => None,
    }
}

impl FieldSelector {
    /// Parse a `fieldSelector` query value for objects of kind `rt`.
    pub fn parse(s: &str, rt: &ResourceType) -> Result<Self, ApiError> {
        let mut reqs = Vec::new();
        for part in split_top(s) {
            let (field, equal, value) = if let Some((k, v)) = part.split_once("!=") {
                (k, false, v)
            } else if let Some((k, v)) = part.split_once("==") {
                (k, true, v)
            } else if let Some((k, v)) = part.split_once('=') {
                (k, true, v)
            } else {
                return Err(ApiError::BadRequest(format!(
                    "invalid field selector: {part}"
                )));
            };
            let field = field.trim();
            let pointer = pointer(rt, field).ok_or_else(|| {
                ApiError::BadRequest(format!("field label not supported: {field}"))
            })?;
            reqs.push((pointer, equal, value.trim().to_string()));
        }
        Ok(Self(reqs))
    }

    /// Whether an object satisfies every requirement (a field the object
    /// lacks is the empty string, as on the API server).
    pub fn matches(&self, object: &Value) -> bool {
        self.0.iter().all(|(pointer, equal, value)| {
            let actual = object
                .pointer(pointer)
                .and_then(Value::as_str)
                .unwrap_or("");
            (actual == value) == *equal
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(labels: Value) -> Value {
        json!({"metadata": {"name": "p", "labels": labels}})
    }

    #[test]
    fn label_selector_supports_equality_inequality_sets_and_existence() {
        let p = pod(json!({"app": "web", "tier": "front"}));
        let yes = [
            "app=web",
            "app==web,tier",
            "app in (web, api)",
            "app notin (db)",
            "tier!=back",
            "!missing",
        ];
        for s in yes {
            assert!(LabelSelector::parse(s).expect(s).matches(&p), "{s}");
        }
        let no = ["app=api", "app in (api,db)", "missing", "!tier", "app!=web"];
        for s in no {
            assert!(!LabelSelector::parse(s).expect(s).matches(&p), "{s}");
        }
    }

    #[test]
    fn field_selector_matches_name_and_refuses_other_fields() {
        let p = pod(json!({}));
        let parse = |s| FieldSelector::parse(s, &crate::resources::POD);
        assert!(parse("metadata.name=p").expect("parse").matches(&p));
        assert!(!parse("metadata.name!=p").expect("parse").matches(&p));
        assert!(parse("spec.nodeName=x").is_err());
        assert!(parse("involvedObject.name=x").is_err(), "an Event's field");
    }
}
