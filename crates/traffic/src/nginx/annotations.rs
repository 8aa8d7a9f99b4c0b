//! The ingress-nginx canary annotations that make a canary Ingress carry a
//! [`Traffic`]: `canary`, `canary-weight` (and `canary-weight-total`), and
//! the header and cookie rules of its header routes (`rules`). Pure.
//!
//! A traffic NGINX cannot express (a route with several matches, two
//! header routes, a cookie value other than `always`, a mirror route) is
//! refused: serin never writes a routing that is not the one asked for.

use std::collections::BTreeMap;

use serin_api::status::Traffic;

use super::ROUTER;
use super::config::NginxConfig;
use super::rules::{Value, rules};
use crate::RouterError;
use crate::refusal::refused;

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
    let rules = rules(traffic).map_err(|found| refused(ROUTER, traffic, found))?;
    let mut out = BTreeMap::new();
    out.insert(config.key("canary"), "true".to_string());
    let (weight, total) = scaled_weight(traffic.canary_weight, config.max_weight);
    out.insert(config.key("canary-weight"), weight.to_string());
    if let Some(total) = total {
        out.insert(config.key("canary-weight-total"), total.to_string());
    }
    if let Some((name, value)) = rules.header {
        out.insert(config.key("canary-by-header"), name.to_string());
        let (suffix, text) = match value {
            Value::Exact(v) => ("canary-by-header-value", v),
            Value::Pattern(p) => ("canary-by-header-pattern", p),
        };
        out.insert(config.key(suffix), text);
    }
    if let Some(name) = rules.cookie {
        out.insert(config.key("canary-by-cookie"), name.to_string());
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

#[cfg(test)]
mod tests;
