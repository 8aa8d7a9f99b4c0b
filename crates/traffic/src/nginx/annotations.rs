//! The ingress-nginx canary annotations that make a canary Ingress carry a
//! [`Traffic`]: `canary`, `canary-weight` (and `canary-weight-total`), and
//! the header and cookie rules of its header routes. Pure.
//!
//! ingress-nginx holds, per canary Ingress, one header rule (a name with an
//! exact value or a PCRE pattern), one cookie rule (a cookie whose value is
//! `always`) and a weight, tried in that order. A traffic it cannot express
//! (a route with several matches, two header routes, a cookie value other
//! than `always`, a mirror route) is refused: serin never writes a routing
//! that is not the one asked for.

use std::collections::BTreeMap;

use serin_api::routes::{HeaderRoute, HeaderRoutingMatch, StringMatch};
use serin_api::status::Traffic;

use super::ROUTER;
use super::config::NginxConfig;
use crate::RouterError;

/// The suffixes (after `<prefix>/`) of every annotation the router owns on
/// a canary Ingress; the ones a traffic does not need are removed.
pub const OWNED_SUFFIXES: [&str; 7] = [
    "canary",
    "canary-weight",
    "canary-weight-total",
    "canary-by-header",
    "canary-by-header-value",
    "canary-by-header-pattern",
    "canary-by-cookie",
];

/// ingress-nginx ignores a `canary-weight-total` of 100 or less (and then
/// counts out of 100).
const NGINX_MIN_TOTAL: i32 = 100;

/// The NGINX annotations (full keys) that make a canary Ingress carry
/// `traffic`.
///
/// # Errors
/// [`RouterError::Invalid`] when NGINX cannot express the traffic's routes.
pub fn render(
    config: &NginxConfig,
    traffic: &Traffic,
) -> Result<BTreeMap<String, String>, RouterError> {
    let mut out = BTreeMap::new();
    out.insert(config.key("canary"), "true".to_string());
    let (weight, total) = scaled_weight(traffic.canary_weight, config.max_weight);
    out.insert(config.key("canary-weight"), weight.to_string());
    if let Some(total) = total {
        out.insert(config.key("canary-weight-total"), total.to_string());
    }
    if let Some(route) = traffic.mirror_routes.first() {
        return Err(unsupported(
            &route.name,
            "is a mirror route; ingress-nginx canary annotations cannot mirror",
        ));
    }
    let mut header: Option<&str> = None;
    let mut cookie: Option<&str> = None;
    for route in &traffic.header_routes {
        match rule(route)? {
            Rule::Header { name, value } => {
                claim(&mut header, &route.name, "header")?;
                out.insert(config.key("canary-by-header"), name.to_string());
                let (suffix, text) = match value {
                    Value::Exact(v) => ("canary-by-header-value", v),
                    Value::Pattern(p) => ("canary-by-header-pattern", p),
                };
                out.insert(config.key(suffix), text);
            }
            Rule::Cookie { name } => {
                claim(&mut cookie, &route.name, "cookie")?;
                out.insert(config.key("canary-by-cookie"), name.to_string());
            }
        }
    }
    Ok(out)
}

/// `canary-weight` for a traffic's percentage and the `canary-weight-total`
/// to write with it: the percentage scaled to `maxTrafficWeight` when that
/// is above 100, else the percentage itself and no total.
pub fn scaled_weight(percent: i32, max: Option<i32>) -> (i32, Option<i32>) {
    let percent = percent.clamp(0, 100);
    match max.filter(|m| *m > NGINX_MIN_TOTAL) {
        Some(total) => {
            let scaled = (i64::from(percent) * i64::from(total) + 50) / 100;
            (i32::try_from(scaled).unwrap_or(total), Some(total))
        }
        None => (percent, None),
    }
}

/// One NGINX rule.
#[derive(Debug, PartialEq, Eq)]
enum Rule<'a> {
    /// `canary-by-header` with a value or a pattern.
    Header { name: &'a str, value: Value },
    /// `canary-by-cookie`: the cookie set to `always`.
    Cookie { name: &'a str },
}

/// How a header's value is matched.
#[derive(Debug, PartialEq, Eq)]
enum Value {
    /// `canary-by-header-value`.
    Exact(String),
    /// `canary-by-header-pattern` (PCRE, anchored here).
    Pattern(String),
}

/// The rule of one header route.
fn rule(route: &HeaderRoute) -> Result<Rule<'_>, RouterError> {
    let [only] = route.matches.as_slice() else {
        return Err(unsupported(
            &route.name,
            &format!(
                "has {} matches; ingress-nginx matches one header or one cookie per rule",
                route.matches.len()
            ),
        ));
    };
    let HeaderRoutingMatch {
        header_name,
        cookie_name,
        header_value,
        cookie_value,
    } = only;
    match (header_name, cookie_name) {
        (Some(name), None) => {
            let value = header_value
                .as_ref()
                .and_then(header_value_rule)
                .ok_or_else(|| unsupported(&route.name, "has a header match without a value"))?;
            Ok(Rule::Header { name, value })
        }
        (None, Some(name)) => match cookie_value {
            Some(StringMatch {
                exact: Some(v),
                prefix: None,
                regex: None,
            }) if v == "always" => Ok(Rule::Cookie { name }),
            _ => Err(unsupported(
                &route.name,
                "matches a cookie value other than exactly 'always'; ingress-nginx routes \
                 by cookie only when its value is 'always'",
            )),
        },
        _ => Err(unsupported(
            &route.name,
            "has a match with neither or both of headerName and cookieName",
        )),
    }
}

/// The NGINX form of a header value match: an exact value, or a PCRE
/// pattern anchored at both ends (a prefix is its text escaped and
/// followed by anything). An empty exact value is a pattern, since
/// ingress-nginx reads an empty `canary-by-header-value` as unset.
fn header_value_rule(m: &StringMatch) -> Option<Value> {
    match (&m.exact, &m.prefix, &m.regex) {
        (Some(v), None, None) if !v.is_empty() => Some(Value::Exact(v.clone())),
        (Some(_), None, None) => Some(Value::Pattern("^$".to_string())),
        (None, Some(p), None) => Some(Value::Pattern(format!("^{}", escape(p)))),
        (None, None, Some(r)) => Some(Value::Pattern(format!("^(?:{r})$"))),
        _ => None,
    }
}

/// `text` as a PCRE pattern matching it literally: every metacharacter is
/// escaped.
fn escape(text: &str) -> String {
    const META: &str = "\\^$.|?*+()[]{}";
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if META.contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Takes the one `kind` rule a canary Ingress holds for `route`.
///
/// # Errors
/// [`RouterError::Invalid`] when an earlier route took it.
fn claim<'a>(slot: &mut Option<&'a str>, route: &'a str, kind: &str) -> Result<(), RouterError> {
    match slot.replace(route) {
        Some(other) => Err(unsupported(
            route,
            &format!(
                "is a second {kind} route (after '{other}'); a canary Ingress holds one {kind} rule"
            ),
        )),
        None => Ok(()),
    }
}

fn unsupported(route: &str, why: &str) -> RouterError {
    RouterError::Invalid {
        router: ROUTER,
        message: format!("route '{route}' {why}"),
    }
}

#[cfg(test)]
mod tests;
