//! Rules of request matches: header and cookie matches of header routes, the
//! method/path/header matches of mirror routes, and the string matches they
//! share (exactly one of exact/prefix/regex; regexes compile).

use super::common::check_exactly_one;
use super::{Errors, Path};
use crate::routes::{HeaderRoutingMatch, RouteMatch, StringMatch};

/// Exactly one of `exact`, `prefix` and `regex`; a regex compiles.
pub(crate) fn check_string_match(m: &StringMatch, path: &Path, errors: &mut Errors) {
    let mut set = Vec::new();
    if m.exact.is_some() {
        set.push("exact");
    }
    if m.prefix.is_some() {
        set.push("prefix");
    }
    if m.regex.is_some() {
        set.push("regex");
    }
    check_exactly_one(
        &set,
        &["exact", "prefix", "regex"],
        "a string match",
        path,
        errors,
    );
    if let Some(re) = &m.regex
        && let Err(e) = regex::Regex::new(re)
    {
        errors.push(
            &path.field("regex"),
            format!("'{re}' is not a valid regex: {}", one_line(&e)),
        );
    }
}

/// A regex error on one line: the `error: ...` line of a syntax error's
/// diagram, or the whole text with newlines folded.
fn one_line(e: &regex::Error) -> String {
    let text = e.to_string();
    text.lines()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .map(str::to_string)
        .unwrap_or_else(|| text.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Exactly one of `headerName` and `cookieName`, with its value match and
/// not the other's.
pub(crate) fn check_header_routing_match(m: &HeaderRoutingMatch, path: &Path, errors: &mut Errors) {
    match (&m.header_name, &m.cookie_name) {
        (Some(_), Some(_)) => errors.push(
            path,
            "has headerName and cookieName; a match has exactly one",
        ),
        (None, None) => errors.push(
            path,
            "is empty; a match has exactly one of headerName or cookieName",
        ),
        (Some(name), None) => {
            if name.trim().is_empty() {
                errors.push(&path.field("headerName"), "is empty");
            }
            if m.header_value.is_none() {
                errors.push(&path.field("headerValue"), "is required with headerName");
            }
            if m.cookie_value.is_some() {
                errors.push(
                    &path.field("cookieValue"),
                    "is set with headerName; use headerValue",
                );
            }
        }
        (None, Some(name)) => {
            if name.trim().is_empty() {
                errors.push(&path.field("cookieName"), "is empty");
            }
            if m.cookie_value.is_none() {
                errors.push(&path.field("cookieValue"), "is required with cookieName");
            }
            if m.header_value.is_some() {
                errors.push(
                    &path.field("headerValue"),
                    "is set with cookieName; use cookieValue",
                );
            }
        }
    }
    if let Some(v) = &m.header_value {
        check_string_match(v, &path.field("headerValue"), errors);
    }
    if let Some(v) = &m.cookie_value {
        check_string_match(v, &path.field("cookieValue"), errors);
    }
}

/// Every string match of a mirror route's match compiles.
pub(crate) fn check_route_match(m: &RouteMatch, path: &Path, errors: &mut Errors) {
    if let Some(method) = &m.method {
        check_string_match(method, &path.field("method"), errors);
    }
    if let Some(p) = &m.path {
        check_string_match(p, &path.field("path"), errors);
    }
    for (name, value) in &m.headers {
        check_string_match(value, &path.field("headers").key(name), errors);
    }
}
