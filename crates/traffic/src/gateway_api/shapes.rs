//! What of a [`Traffic`]'s routes cannot be said in an HTTPRoute rule
//! whatever the route holds: a header route whose conditions match one
//! header twice (Gateway API allows one match per header name in a rule;
//! every cookie condition is a match on `Cookie`), and a mirror route
//! matching a method other than exactly or one header twice. [`refusals`]
//! is called by the router before any read and by `serin lint` (through
//! `crate::spec_check`); the same header-twice rule serves the Istio
//! router ([`header_twice`], [`mirror_header_twice`]). Pure.

use serin_api::routes::{HeaderRoute, MirrorRoute};
use serin_api::status::Traffic;

use crate::refusal::{RouteRef, RouteRefusal};

/// The routes of `traffic` Gateway API cannot express, header routes
/// first.
pub fn refusals(traffic: &Traffic) -> Vec<RouteRefusal> {
    let mut out = Vec::new();
    for (i, route) in traffic.header_routes.iter().enumerate() {
        out.extend(header_twice(
            route,
            RouteRef::Header(i),
            "Gateway API allows one match per header name in a rule",
        ));
    }
    for (i, mirror) in traffic.mirror_routes.iter().enumerate() {
        for (j, m) in mirror.matches.iter().enumerate() {
            if m.method.as_ref().is_some_and(|s| s.exact.is_none()) {
                out.push(RouteRefusal::at(
                    RouteRef::Mirror(i),
                    format!("match[{j}].method"),
                    "matches a method other than exactly; Gateway API matches methods exactly",
                ));
            }
        }
        out.extend(mirror_header_twice(
            mirror,
            RouteRef::Mirror(i),
            "Gateway API allows one match per header name in a rule",
        ));
    }
    out
}

/// The first condition of `route` that matches a header an earlier one
/// matches already (names compared without case; a cookie condition is
/// a match on the `Cookie` header), refused with `rule`.
pub(crate) fn header_twice(route: &HeaderRoute, at: RouteRef, rule: &str) -> Option<RouteRefusal> {
    let mut seen: Vec<String> = Vec::new();
    for (j, m) in route.matches.iter().enumerate() {
        let name = match (&m.header_name, &m.cookie_name) {
            (Some(h), _) => h.to_ascii_lowercase(),
            (None, Some(_)) => "cookie".to_string(),
            (None, None) => continue,
        };
        if seen.contains(&name) {
            let what = if m.header_name.is_some() {
                format!("header {name}")
            } else {
                "the Cookie header (one cookie condition per route)".to_string()
            };
            return Some(RouteRefusal::at(
                at,
                format!("match[{j}]"),
                format!("matches {what} twice; {rule}"),
            ));
        }
        seen.push(name);
    }
    None
}

/// The first match of `mirror` that names one header twice, without
/// regard to case, refused with `rule`.
pub(crate) fn mirror_header_twice(
    mirror: &MirrorRoute,
    at: RouteRef,
    rule: &str,
) -> Option<RouteRefusal> {
    mirror.matches.iter().enumerate().find_map(|(j, m)| {
        let mut seen: Vec<String> = Vec::new();
        m.headers.keys().find_map(|name| {
            let lower = name.to_ascii_lowercase();
            if seen.contains(&lower) {
                return Some(RouteRefusal::at(
                    at,
                    format!("match[{j}].headers"),
                    format!("matches header {lower} twice; {rule}"),
                ));
            }
            seen.push(lower);
            None
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn traffic(value: serde_json::Value) -> Traffic {
        serde_json::from_value(value).expect("a traffic")
    }

    #[test]
    fn two_cookie_conditions_in_one_header_route_are_refused() {
        let t = traffic(
            json!({"canaryWeight": 0, "headerRoutes": [{"name": "beta", "match": [
                {"cookieName": "a", "cookieValue": {"exact": "1"}},
                {"cookieName": "b", "cookieValue": {"exact": "2"}},
            ]}]}),
        );
        let found = refusals(&t);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].field, "match[1]");
        assert!(
            found[0].why.starts_with("matches the Cookie header"),
            "{found:?}"
        );
    }

    #[test]
    fn a_mirror_method_matched_by_prefix_is_refused_and_an_exact_one_is_not() {
        let t = traffic(
            json!({"canaryWeight": 0, "mirrorRoutes": [{"name": "m", "percentage": 5, "match": [
                {"method": {"exact": "GET"}},
                {"method": {"prefix": "P"}},
            ]}]}),
        );
        let found = refusals(&t);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].route, RouteRef::Mirror(0));
        assert_eq!(found[0].field, "match[1].method");
    }

    #[test]
    fn different_headers_are_expressible() {
        let t = traffic(
            json!({"canaryWeight": 0, "headerRoutes": [{"name": "beta", "match": [
                {"headerName": "x-a", "headerValue": {"exact": "1"}},
                {"cookieName": "b", "cookieValue": {"exact": "2"}},
            ]}]}),
        );
        assert_eq!(refusals(&t), vec![]);
    }
}
