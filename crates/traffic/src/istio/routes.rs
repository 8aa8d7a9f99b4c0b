//! The VirtualService HTTP routes serin adds in front of the routes it
//! owns, built from an owned route (same rewrites, timeouts, retries) so
//! that a request an added route catches is otherwise treated as the owned
//! route would. Istio takes the first route that matches, so the added
//! routes go just before the first owned route (after routes of someone
//! else's that come earlier); their matches are the owned route's with
//! serin's conditions added, so they catch nothing the owned route would
//! not. A
//! header route sends to the canary destination only; a mirror route keeps
//! the owned route's weighted destinations and mirrors to the canary with
//! a `mirrorPercentage`. Pure.

use serde_json::{Map, Value, json};
use serin_api::routes::{HeaderRoutingMatch, MirrorRoute, RouteMatch, StringMatch};

use crate::gateway_api::managed::cookie_regex;
use crate::gateway_api::objects::list;
use crate::gateway_api::weights::Arm;

/// The route for the header route `conditions`, named `name`, in front of
/// `owned` (its weights already set).
///
/// # Errors
/// The conditions clash with the owned route's (text for the message).
pub(super) fn header_route(
    owned: &Value,
    name: &str,
    conditions: &[HeaderRoutingMatch],
    arm_of: impl Fn(&Value) -> Option<Arm>,
) -> Result<Value, String> {
    let headers: Map<String, Value> = conditions.iter().map(header_match).collect();
    let extra = Map::from_iter([("headers".to_string(), Value::Object(headers))]);
    let canary = canary_of(owned, &arm_of)?;
    let mut canary = canary.clone();
    if let Some(map) = canary.as_object_mut() {
        map.remove("weight");
    }
    let mut route = named(owned, name);
    set_matches(&mut route, combined(owned, &[extra])?);
    route.insert("route".into(), json!([canary]));
    Ok(Value::Object(route))
}

/// The route for the mirror route `mirror`, named `name`, in front of
/// `owned` (its weights already set): the owned route with the mirror's
/// matches, mirroring to the canary destination.
///
/// # Errors
/// The matches clash with the owned route's (text for the message).
pub(super) fn mirror_route(
    owned: &Value,
    name: &str,
    mirror: &MirrorRoute,
    arm_of: impl Fn(&Value) -> Option<Arm>,
) -> Result<Value, String> {
    let extras: Vec<Map<String, Value>> = if mirror.matches.is_empty() {
        vec![Map::new()]
    } else {
        mirror.matches.iter().map(route_match).collect()
    };
    let destination = canary_of(owned, &arm_of)?["destination"].clone();
    let mut route = named(owned, name);
    set_matches(&mut route, combined(owned, &extras)?);
    // `mirrors` (several mirrors) and `mirror` do not go together.
    route.remove("mirrors");
    route.insert("mirror".into(), destination);
    route.insert(
        "mirrorPercentage".into(),
        // A whole number: a server reads `25.0` back as `25`, and the
        // route must read back as written.
        json!({"value": mirror.percentage.clamp(0, 100)}),
    );
    Ok(Value::Object(route))
}

fn canary_of<'a>(
    owned: &'a Value,
    arm_of: &impl Fn(&Value) -> Option<Arm>,
) -> Result<&'a Value, String> {
    list(owned, "route")
        .iter()
        .find(|d| arm_of(d) == Some(Arm::Canary))
        .ok_or_else(|| "the owned route has no canary destination".to_string())
}

fn named(owned: &Value, name: &str) -> Map<String, Value> {
    let mut route = owned.as_object().cloned().unwrap_or_default();
    route.insert("name".into(), Value::String(name.into()));
    route
}

/// Sets `match`, or leaves it out when every match is empty (matches all).
fn set_matches(route: &mut Map<String, Value>, matches: Vec<Value>) {
    if matches
        .iter()
        .all(|m| m.as_object().is_some_and(Map::is_empty))
    {
        route.remove("match");
    } else {
        route.insert("match".into(), Value::Array(matches));
    }
}

/// Every owned match with every one of `extras` laid over it: its `uri`
/// and `method` replace the owned match's, its headers are added.
fn combined(owned: &Value, extras: &[Map<String, Value>]) -> Result<Vec<Value>, String> {
    let owned_matches = match list(owned, "match") {
        [] => vec![json!({})],
        some => some.to_vec(),
    };
    let mut out = Vec::with_capacity(owned_matches.len() * extras.len());
    for base in &owned_matches {
        for extra in extras {
            let mut m = base.as_object().cloned().unwrap_or_default();
            for key in ["uri", "method"] {
                if let Some(v) = extra.get(key) {
                    m.insert(key.into(), v.clone());
                }
            }
            let mut headers = base["headers"].as_object().cloned().unwrap_or_default();
            for (name, value) in extra
                .get("headers")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                if headers.insert(name.clone(), value.clone()).is_some() {
                    return Err(format!("header {name} is matched twice in one route"));
                }
            }
            if !headers.is_empty() {
                m.insert("headers".into(), Value::Object(headers));
            }
            out.push(Value::Object(m));
        }
    }
    Ok(out)
}

/// A header or cookie condition as an entry of an Istio `headers` match
/// (names in lower case, as Istio wants them). A cookie is a regular
/// expression on the `cookie` header.
fn header_match(condition: &HeaderRoutingMatch) -> (String, Value) {
    match (&condition.header_name, &condition.cookie_name) {
        (Some(name), _) => (
            name.to_ascii_lowercase(),
            string_match(condition.header_value.as_ref()),
        ),
        (None, Some(cookie)) => (
            "cookie".to_string(),
            json!({"regex": cookie_regex(cookie, condition.cookie_value.as_ref())}),
        ),
        (None, None) => (String::new(), json!({})),
    }
}

/// An Istio `StringMatch`; any value when `None`.
fn string_match(m: Option<&StringMatch>) -> Value {
    match m {
        Some(StringMatch { exact: Some(v), .. }) => json!({"exact": v}),
        Some(StringMatch {
            prefix: Some(v), ..
        }) => json!({"prefix": v}),
        Some(StringMatch { regex: Some(v), .. }) => json!({"regex": v}),
        _ => json!({"regex": ".*"}),
    }
}

/// A mirror route's match as the parts of an `HTTPMatchRequest`.
fn route_match(m: &RouteMatch) -> Map<String, Value> {
    let mut out = Map::new();
    if let Some(path) = &m.path {
        out.insert("uri".into(), string_match(Some(path)));
    }
    if let Some(method) = &m.method {
        out.insert("method".into(), string_match(Some(method)));
    }
    if !m.headers.is_empty() {
        let headers = m
            .headers
            .iter()
            .map(|(n, v)| (n.to_ascii_lowercase(), string_match(Some(v))));
        out.insert("headers".into(), Value::Object(headers.collect()));
    }
    out
}
