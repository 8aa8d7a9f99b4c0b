//! The HTTPRoute rules serin adds in front of the rules it owns, built
//! from an owned rule (so that a request the added rule catches is
//! otherwise treated as the owned rule would: same filters, timeouts and
//! paths). A header route becomes a rule whose matches are the owned
//! rule's with the header conditions added (more headers: a higher
//! precedence in Gateway API's ordering) and whose only backend is the
//! canary Service; a mirror route becomes a copy of the owned rule with
//! the mirror's matches and a `RequestMirror` filter with a `percent`.
//! Pure.

use serde_json::{Map, Value, json};
use serin_api::routes::{HeaderRoutingMatch, MirrorRoute, RouteMatch, StringMatch};

use super::managed::{cookie_regex, value_regex};
use super::objects::list;
use super::weights::Arm;

/// The match Gateway API gives a rule without `matches`.
fn default_match() -> Value {
    json!({"path": {"type": "PathPrefix", "value": "/"}})
}

/// The rule for the header route `conditions`, named `name`, in front of
/// `owned` (its weights already set).
///
/// # Errors
/// A condition cannot be said in Gateway API (text for the message).
pub(super) fn header_rule(
    owned: &Value,
    name: &str,
    conditions: &[HeaderRoutingMatch],
    arm_of: impl Fn(&Value) -> Option<Arm>,
) -> Result<Value, String> {
    let headers = conditions.iter().map(header_match).collect::<Vec<_>>();
    let extra = Map::from_iter([("headers".to_string(), Value::Array(headers))]);
    let matches = combined(owned, &[extra])?;
    let canary = list(owned, "backendRefs")
        .iter()
        .find(|b| arm_of(b) == Some(Arm::Canary))
        .map(alone)
        .ok_or("the owned rule has no canary backendRef")?;
    let mut rule = named(owned, name);
    rule.insert("matches".into(), Value::Array(matches));
    rule.insert("backendRefs".into(), json!([canary]));
    Ok(Value::Object(rule))
}

/// The rule for the mirror route `mirror`, named `name`, in front of
/// `owned` (its weights already set): the owned rule with the mirror's
/// matches and a `RequestMirror` filter to the canary Service.
///
/// # Errors
/// A match cannot be said in Gateway API (text for the message).
pub(super) fn mirror_rule(
    owned: &Value,
    name: &str,
    mirror: &MirrorRoute,
    arm_of: impl Fn(&Value) -> Option<Arm>,
) -> Result<Value, String> {
    let extras = if mirror.matches.is_empty() {
        vec![Map::new()]
    } else {
        mirror
            .matches
            .iter()
            .map(route_match)
            .collect::<Result<_, _>>()?
    };
    let matches = combined(owned, &extras)?;
    let canary = list(owned, "backendRefs")
        .iter()
        .find(|b| arm_of(b) == Some(Arm::Canary))
        .ok_or("the owned rule has no canary backendRef")?;
    // `group` and `kind` written out, as the CRD would default them.
    let mut backend = Map::from_iter([
        ("group".to_string(), Value::from("")),
        ("kind".to_string(), Value::from("Service")),
    ]);
    for key in ["group", "kind", "name", "namespace", "port"] {
        if let Some(v) = canary.get(key) {
            backend.insert(key.into(), v.clone());
        }
    }
    let filter = json!({
        "type": "RequestMirror",
        "requestMirror": {"backendRef": backend, "percent": mirror.percentage.clamp(0, 100)},
    });
    let mut filters = list(owned, "filters").to_vec();
    filters.push(filter);
    let mut rule = named(owned, name);
    rule.insert("matches".into(), Value::Array(matches));
    rule.insert("filters".into(), Value::Array(filters));
    Ok(Value::Object(rule))
}

/// `owned` as an object, renamed.
fn named(owned: &Value, name: &str) -> Map<String, Value> {
    let mut rule = owned.as_object().cloned().unwrap_or_default();
    rule.insert("name".into(), Value::String(name.into()));
    rule
}

/// `backend` as the only backend of a rule: `weight: 1`, never 0 (which
/// would serve nothing), and written out rather than left to the CRD's
/// default, so that the rule read back from a server that applies
/// defaults is the rule serin wrote.
pub(super) fn alone(backend: &Value) -> Value {
    let mut b = backend.clone();
    if let Some(map) = b.as_object_mut() {
        map.insert("weight".into(), Value::from(1));
    }
    b
}

/// Every owned match with every one of `extras` laid over it: its path
/// and method replace the owned match's, its headers are added.
fn combined(owned: &Value, extras: &[Map<String, Value>]) -> Result<Vec<Value>, String> {
    let owned_matches = match list(owned, "matches") {
        [] => vec![default_match()],
        some => some.to_vec(),
    };
    let mut out = Vec::with_capacity(owned_matches.len() * extras.len());
    for base in &owned_matches {
        for extra in extras {
            let mut m = base.as_object().cloned().unwrap_or_default();
            for key in ["path", "method"] {
                if let Some(v) = extra.get(key) {
                    m.insert(key.into(), v.clone());
                }
            }
            let mut headers = list(base, "headers").to_vec();
            for h in extra
                .get("headers")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let name = h["name"].as_str().unwrap_or("");
                if headers.iter().any(|o| {
                    o["name"]
                        .as_str()
                        .is_some_and(|n| n.eq_ignore_ascii_case(name))
                }) {
                    return Err(format!(
                        "header {name} is matched twice in one rule (Gateway API allows one match per header name)"
                    ));
                }
                headers.push(h.clone());
            }
            if !headers.is_empty() {
                m.insert("headers".into(), Value::Array(headers));
            }
            out.push(Value::Object(m));
        }
    }
    Ok(out)
}

/// A header or cookie condition as an `HTTPHeaderMatch`. A cookie is a
/// regular expression on the `Cookie` header (Gateway API has no cookie
/// match).
fn header_match(condition: &HeaderRoutingMatch) -> Value {
    match (&condition.header_name, &condition.cookie_name) {
        (Some(name), _) => header_value(name, condition.header_value.as_ref()),
        (None, Some(cookie)) => json!({
            "name": "Cookie",
            "type": "RegularExpression",
            "value": cookie_regex(cookie, condition.cookie_value.as_ref()),
        }),
        (None, None) => json!({"name": "", "value": ""}),
    }
}

fn header_value(name: &str, value: Option<&StringMatch>) -> Value {
    match value {
        Some(StringMatch { exact: Some(v), .. }) => {
            json!({"name": name, "type": "Exact", "value": v})
        }
        Some(m) => json!({"name": name, "type": "RegularExpression", "value": value_regex(m)}),
        None => json!({"name": name, "type": "RegularExpression", "value": ".*"}),
    }
}

/// A mirror route's match as the parts of an `HTTPRouteMatch`.
fn route_match(m: &RouteMatch) -> Result<Map<String, Value>, String> {
    let mut out = Map::new();
    if let Some(path) = &m.path {
        let (kind, value) = match (&path.exact, &path.prefix, &path.regex) {
            (Some(v), _, _) => ("Exact", v),
            (None, Some(v), _) => ("PathPrefix", v),
            (None, None, Some(v)) => ("RegularExpression", v),
            (None, None, None) => return Err("a path match with no value".into()),
        };
        out.insert("path".into(), json!({"type": kind, "value": value}));
    }
    if let Some(method) = &m.method {
        let exact = method
            .exact
            .as_deref()
            .ok_or("Gateway API matches a method exactly only")?;
        out.insert("method".into(), Value::String(exact.to_ascii_uppercase()));
    }
    if !m.headers.is_empty() {
        let headers = m.headers.iter().map(|(n, v)| header_value(n, Some(v)));
        out.insert("headers".into(), Value::Array(headers.collect()));
    }
    Ok(out)
}
