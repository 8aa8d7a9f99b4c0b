//! What of a [`Traffic`]'s routes ingress-nginx can hold on one canary
//! Ingress: one header rule (a name with an exact value or a PCRE
//! pattern), one cookie rule (a cookie whose value is `always`), no
//! mirror. [`rules`] turns the routes into those rules or lists every
//! route it cannot express; [`refusals`] is that list alone, which both
//! the router (before any write) and `serin lint` (through
//! `crate::spec_check`) use. Pure.

use serin_api::routes::{HeaderRoute, HeaderRoutingMatch, StringMatch};
use serin_api::status::Traffic;

use crate::refusal::{RouteRef, RouteRefusal};

/// The NGINX rules of a traffic's routes.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Rules<'a> {
    /// `canary-by-header` and its value or pattern.
    pub header: Option<(&'a str, Value)>,
    /// `canary-by-cookie`.
    pub cookie: Option<&'a str>,
}

/// How a header's value is matched.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Value {
    /// `canary-by-header-value`.
    Exact(String),
    /// `canary-by-header-pattern` (PCRE, anchored here).
    Pattern(String),
}

/// The routes of `traffic` NGINX cannot express, in order: mirror routes
/// first, then header routes.
pub fn refusals(traffic: &Traffic) -> Vec<RouteRefusal> {
    rules(traffic).err().unwrap_or_default()
}

/// The NGINX rules of `traffic`'s routes.
///
/// # Errors
/// Every route NGINX cannot express.
pub(super) fn rules(traffic: &Traffic) -> Result<Rules<'_>, Vec<RouteRefusal>> {
    let mut refused: Vec<RouteRefusal> = (0..traffic.mirror_routes.len())
        .map(|i| {
            RouteRefusal::whole(
                RouteRef::Mirror(i),
                "is a mirror route; ingress-nginx canary annotations cannot mirror",
            )
        })
        .collect();
    let mut out = Rules::default();
    let mut header_by: Option<&str> = None;
    let mut cookie_by: Option<&str> = None;
    for (i, route) in traffic.header_routes.iter().enumerate() {
        let at = RouteRef::Header(i);
        match rule(route) {
            Err((field, why)) => refused.push(RouteRefusal::at(at, field, why)),
            Ok(Rule::Header { name, value }) => match header_by.replace(&route.name) {
                Some(other) => refused.push(second(at, other, "header")),
                None => out.header = Some((name, value)),
            },
            Ok(Rule::Cookie { name }) => match cookie_by.replace(&route.name) {
                Some(other) => refused.push(second(at, other, "cookie")),
                None => out.cookie = Some(name),
            },
        }
    }
    if refused.is_empty() {
        Ok(out)
    } else {
        Err(refused)
    }
}

/// One NGINX rule.
enum Rule<'a> {
    /// `canary-by-header` with a value or a pattern.
    Header { name: &'a str, value: Value },
    /// `canary-by-cookie`: the cookie set to `always`.
    Cookie { name: &'a str },
}

/// The rule of one header route; else the field at fault and why.
fn rule(route: &HeaderRoute) -> Result<Rule<'_>, (String, String)> {
    let [only] = route.matches.as_slice() else {
        return Err((
            "match".into(),
            format!(
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
            let value = header_value.as_ref().and_then(header_value_rule).ok_or((
                "match[0].headerValue".to_string(),
                "has a header match without a value".to_string(),
            ))?;
            Ok(Rule::Header { name, value })
        }
        (None, Some(name)) => match cookie_value {
            Some(StringMatch {
                exact: Some(v),
                prefix: None,
                regex: None,
            }) if v == "always" => Ok(Rule::Cookie { name }),
            _ => Err((
                "match[0].cookieValue".into(),
                "matches a cookie value other than exactly 'always'; ingress-nginx routes \
                 by cookie only when its value is 'always'"
                    .into(),
            )),
        },
        _ => Err((
            "match[0]".into(),
            "has a match with neither or both of headerName and cookieName".into(),
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

/// The refusal of a second `kind` route, after `other`.
fn second(at: RouteRef, other: &str, kind: &str) -> RouteRefusal {
    RouteRefusal::whole(
        at,
        format!(
            "is a second {kind} route (after '{other}'); a canary Ingress holds one {kind} rule"
        ),
    )
}
