//! From the engine's [`Traffic`] and the ready endpoints of each version to
//! the proxy's [`RoutingTable`], and the traffic that table really puts in
//! effect. Pure. The proxy needs a stable arm with an endpoint at all times;
//! while the stable version has no ready replica, that arm points at
//! [`NO_ENDPOINT`] (nothing listens there: requests get 502), so no request
//! ever reaches a replica that is not ready. An arm whose version has no
//! ready replica is left out (canary, preview), and the traffic reported as
//! in effect says so, so the engine never believes in weights the proxy
//! cannot carry out.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use serin_api::routes::StringMatch;
use serin_api::status::Traffic;
use serin_proxy::{ArmSpec, CookieRoute, HeaderRoute, MirrorSpec, RoutingTable};

/// Where the stable arm points while its version has no ready replica.
pub const NO_ENDPOINT: &str = "127.0.0.1:1";

/// A table and the traffic it puts in effect.
#[derive(Clone, Debug, PartialEq)]
pub struct Built {
    /// For the proxy.
    pub table: RoutingTable,
    /// What the engine is told is in effect.
    pub effective: Traffic,
}

fn arm(version: &str, endpoints: &[SocketAddr]) -> ArmSpec {
    ArmSpec {
        version: version.to_owned(),
        endpoints: endpoints.iter().map(ToString::to_string).collect(),
        ..ArmSpec::default()
    }
}

fn placeholder(version: &str) -> ArmSpec {
    ArmSpec {
        version: version.to_owned(),
        endpoints: vec![NO_ENDPOINT.to_owned()],
        ..ArmSpec::default()
    }
}

/// The main listener's table for `traffic`.
pub fn main_table(traffic: &Traffic, endpoints: &BTreeMap<String, Vec<SocketAddr>>) -> Built {
    let eps = |v: &Option<String>| -> &[SocketAddr] {
        v.as_ref()
            .and_then(|v| endpoints.get(v))
            .map_or(&[][..], Vec::as_slice)
    };
    let stable_eps = eps(&traffic.stable);
    let canary_eps = eps(&traffic.canary);
    let stable_version = traffic.stable.as_deref().unwrap_or("none");
    let mut effective = traffic.clone();
    let mut table = RoutingTable::default();
    let stable_ok = !stable_eps.is_empty();
    table.arms.insert(
        "stable".to_owned(),
        if stable_ok {
            arm(stable_version, stable_eps)
        } else {
            placeholder(stable_version)
        },
    );
    let canary_ok = traffic.canary.is_some() && !canary_eps.is_empty();
    let routed = traffic.canary_weight > 0
        || !traffic.header_routes.is_empty()
        || !traffic.mirror_routes.is_empty();
    match (&traffic.canary, canary_ok) {
        (Some(canary), true) if traffic.canary != traffic.stable || routed => {
            table
                .arms
                .insert("canary".to_owned(), arm(canary, canary_eps));
            let w = u32::try_from(traffic.canary_weight.clamp(0, 100)).unwrap_or(0);
            table = table.with_weights(100 - w, w);
            add_header_routes(&mut table, traffic);
            let mirror = traffic
                .mirror_routes
                .iter()
                .map(|m| f64::from(m.percentage.clamp(0, 100)))
                .fold(0.0, f64::max);
            if mirror > 0.0 {
                table
                    .arms
                    .insert("shadow".to_owned(), arm(canary, canary_eps));
                table.mirror = Some(MirrorSpec { percentage: mirror });
            }
        }
        _ => {
            // No canary arm: all production traffic is on stable. A canary
            // asked for with no share and no route is in effect all the same.
            if routed {
                effective.canary = None;
                effective.canary_weight = 0;
                effective.header_routes.clear();
                effective.mirror_routes.clear();
            }
        }
    }
    let stable_carried = stable_ok || (canary_ok && effective.canary_weight == 100);
    if !stable_carried {
        effective.stable = None;
    }
    Built { table, effective }
}

fn string_match(m: &StringMatch) -> (Option<String>, Option<String>, Option<String>) {
    (m.exact.clone(), m.prefix.clone(), m.regex.clone())
}

/// Each match of each header route becomes one proxy route to the canary
/// (a request matching any of them goes to the canary).
fn add_header_routes(table: &mut RoutingTable, traffic: &Traffic) {
    for route in &traffic.header_routes {
        for m in &route.matches {
            if let (Some(header), Some(value)) = (&m.header_name, &m.header_value) {
                let (exact, prefix, regex) = string_match(value);
                table.routes.header_routes.push(HeaderRoute {
                    header: header.clone(),
                    exact,
                    prefix,
                    regex,
                    arm: None,
                });
            }
            if let (Some(cookie), Some(value)) = (&m.cookie_name, &m.cookie_value) {
                let (exact, prefix, regex) = string_match(value);
                table.routes.cookie_routes.push(CookieRoute {
                    cookie: cookie.clone(),
                    exact,
                    prefix,
                    regex,
                    arm: None,
                });
            }
        }
    }
}

/// The preview listener's table: everything to `traffic.preview`, or to
/// [`NO_ENDPOINT`] while it has no ready replica. Returns the table and
/// whether the preview is in effect.
pub fn preview_table(
    traffic: &Traffic,
    endpoints: &BTreeMap<String, Vec<SocketAddr>>,
) -> (RoutingTable, bool) {
    let mut table = RoutingTable::default();
    let eps = traffic
        .preview
        .as_ref()
        .and_then(|v| endpoints.get(v))
        .filter(|e| !e.is_empty());
    let version = traffic.preview.as_deref().unwrap_or("none");
    let spec = match eps {
        Some(e) => arm(version, e),
        None => placeholder(version),
    };
    table.arms.insert("stable".to_owned(), spec);
    (table, eps.is_some())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn eps(list: &[(&str, &[u16])]) -> BTreeMap<String, Vec<SocketAddr>> {
        list.iter()
            .map(|(v, ports)| {
                (
                    (*v).to_owned(),
                    ports
                        .iter()
                        .map(|p| SocketAddr::from(([127, 0, 0, 1], *p)))
                        .collect(),
                )
            })
            .collect()
    }

    fn traffic(stable: &str, canary: Option<&str>, weight: i32) -> Traffic {
        Traffic {
            stable: Some(stable.into()),
            canary: canary.map(Into::into),
            canary_weight: weight,
            ..Traffic::default()
        }
    }

    #[test]
    fn weights_and_ready_endpoints_go_to_their_arms() {
        let t = traffic("v1", Some("v2"), 20);
        let b = main_table(&t, &eps(&[("v1", &[9001, 9002]), ("v2", &[9101])]));
        assert_eq!(b.effective, t);
        assert_eq!(
            b.table.arms["stable"].endpoints,
            vec!["127.0.0.1:9001", "127.0.0.1:9002"]
        );
        assert_eq!(b.table.arms["canary"].endpoints, vec!["127.0.0.1:9101"]);
        assert_eq!(b.table.weights["canary"], 20);
        serin_proxy::Policy::check(&b.table).unwrap();
    }

    #[test]
    fn a_canary_without_ready_replicas_gets_no_traffic_and_is_reported_so() {
        let t = traffic("v1", Some("v2"), 20);
        let b = main_table(&t, &eps(&[("v1", &[9001])]));
        assert!(!b.table.arms.contains_key("canary"));
        assert_eq!(b.effective.canary, None);
        assert_eq!(b.effective.canary_weight, 0);
        serin_proxy::Policy::check(&b.table).unwrap();
    }

    #[test]
    fn a_stable_without_ready_replicas_points_nowhere_and_is_not_reported() {
        let t = traffic("v1", None, 0);
        let b = main_table(&t, &eps(&[]));
        assert_eq!(b.table.arms["stable"].endpoints, vec![NO_ENDPOINT]);
        assert_eq!(b.effective.stable, None);
        serin_proxy::Policy::check(&b.table).unwrap();
    }

    #[test]
    fn a_canary_at_zero_weight_without_replicas_is_in_effect() {
        let t = traffic("v1", Some("v2"), 0);
        let b = main_table(&t, &eps(&[("v1", &[9001])]));
        assert_eq!(b.effective, t);
    }
}
