//! The routes serin adds for `setHeaderRoute` and `setMirrorRoute`, in the
//! terms both the Gateway API and Istio routers share: their order
//! (`trafficRouting.managedRoutes`), their names (`serin-<route>`, a prefix
//! reserved to serin, which is how serin finds its own again), and the
//! regular expressions that say "a header starting with" and "a cookie
//! equal to". Pure.

use serin_api::routes::{HeaderRoute, MirrorRoute, StringMatch};
use serin_api::status::Traffic;

/// Every rule or route whose name starts with this is serin's.
pub(crate) const PREFIX: &str = "serin-";

/// A route serin adds.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Added<'a> {
    /// Requests matching all of its conditions go to the canary only.
    Header(&'a HeaderRoute),
    /// A share of requests matching it is copied to the canary.
    Mirror(&'a MirrorRoute),
}

impl Added<'_> {
    /// The managed route's name.
    pub(crate) fn name(&self) -> &str {
        match self {
            Self::Header(h) => &h.name,
            Self::Mirror(m) => &m.name,
        }
    }
}

/// The routes `traffic` asks for, in the order of `managed` (the
/// precedence `trafficRouting.managedRoutes` gives); names it does not list
/// come after, header routes before mirror routes.
pub(crate) fn in_precedence<'a>(traffic: &'a Traffic, managed: &[String]) -> Vec<Added<'a>> {
    let mut added: Vec<Added<'a>> = traffic
        .header_routes
        .iter()
        .map(Added::Header)
        .chain(traffic.mirror_routes.iter().map(Added::Mirror))
        .collect();
    added.sort_by_key(|a| {
        managed
            .iter()
            .position(|m| m == a.name())
            .unwrap_or(usize::MAX)
    });
    added
}

/// Whether `name` is one serin gave to a rule or route it added.
pub(crate) fn is_serins(name: Option<&str>) -> bool {
    name.is_some_and(|n| n.starts_with(PREFIX))
}

/// The name of the rule serin adds for the managed route `route` in front
/// of the `index`th of `count` owned rules: `serin-<route>`, made a
/// DNS label (lower case, `-` for anything else), with `-<index>` when
/// serin owns several rules.
pub(crate) fn rule_name(route: &str, index: usize, count: usize) -> String {
    let label: String = route
        .chars()
        .map(|c| match c.to_ascii_lowercase() {
            c @ ('a'..='z' | '0'..='9') => c,
            _ => '-',
        })
        .collect();
    let label = label.trim_matches('-');
    if count > 1 {
        format!("{PREFIX}{label}-{index}")
    } else {
        format!("{PREFIX}{label}")
    }
}

/// `text` with every regular-expression metacharacter escaped (RE2).
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The regular expression (RE2, whole value) for a value matched by `m`.
pub(crate) fn value_regex(m: &StringMatch) -> String {
    match (&m.exact, &m.prefix, &m.regex) {
        (Some(exact), _, _) => escape(exact),
        (None, Some(prefix), _) => format!("{}.*", escape(prefix)),
        (None, None, Some(regex)) => regex.clone(),
        (None, None, None) => ".*".to_string(),
    }
}

/// The regular expression a whole `Cookie` header matches when it holds the
/// cookie `name` with a value matched by `value` (any value when `None`).
pub(crate) fn cookie_regex(name: &str, value: Option<&StringMatch>) -> String {
    let value = match value {
        Some(StringMatch { exact: Some(v), .. }) => escape(v),
        Some(StringMatch {
            prefix: Some(p), ..
        }) => format!("{}[^;]*", escape(p)),
        Some(StringMatch { regex: Some(r), .. }) => format!("(?:{r})"),
        _ => "[^;]*".to_string(),
    };
    format!("^(?:.*;\\s*)?{}={value}(?:;.*)?$", escape(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_names_are_dns_labels_under_serins_prefix() {
        assert_eq!(rule_name("beta-users", 0, 1), "serin-beta-users");
        assert_eq!(rule_name("Beta_Users!", 1, 2), "serin-beta-users-1");
        assert!(is_serins(Some("serin-x")));
        assert!(!is_serins(Some("primary")));
        assert!(!is_serins(None));
    }

    #[test]
    fn a_cookie_match_is_anchored_on_the_cookie_and_escapes_its_value() {
        let exact = StringMatch {
            exact: Some("a.b".into()),
            ..StringMatch::default()
        };
        assert_eq!(
            cookie_regex("beta", Some(&exact)),
            r"^(?:.*;\s*)?beta=a\.b(?:;.*)?$"
        );
        let prefix = StringMatch {
            prefix: Some("v2".into()),
            ..StringMatch::default()
        };
        assert_eq!(value_regex(&prefix), "v2.*");
    }
}
