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

use serin_api::routes::{HeaderRoute, HeaderRoutingMatch, MirrorRoute, RouteMatch, StringMatch};
use serin_api::status::Traffic;
use serin_proxy::{
    ArmSpec, Condition, MatchGroup, MatchRoute, MirrorSpec, RequestPart, RoutingTable,
};

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
            add_header_routes(&mut table, &mut effective);
            let mirror = traffic
                .mirror_routes
                .iter()
                .map(|m| f64::from(m.percentage.clamp(0, 100)))
                .fold(0.0, f64::max);
            if mirror > 0.0 {
                table
                    .arms
                    .insert("shadow".to_owned(), arm(canary, canary_eps));
                table.mirror = Some(MirrorSpec {
                    percentage: mirror,
                    matches: mirror_groups(&traffic.mirror_routes),
                });
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

/// A condition on `subject` (header, cookie or request part) with `value`'s
/// kind of match. A spec's regex matches the whole value, as Envoy's (Istio,
/// Gateway API) do, so it is anchored for the proxy, which searches.
fn condition(subject: Condition, value: &StringMatch) -> Condition {
    Condition {
        exact: value.exact.clone(),
        prefix: value.prefix.clone(),
        regex: value.regex.as_ref().map(|re| format!("^(?:{re})$")),
        ..subject
    }
}

/// One header-route match as a condition; `None` when it names neither a
/// header with its value nor a cookie with its value.
fn header_condition(m: &HeaderRoutingMatch) -> Option<Condition> {
    match (
        &m.header_name,
        &m.header_value,
        &m.cookie_name,
        &m.cookie_value,
    ) {
        (Some(header), Some(value), None, _) => Some(condition(
            Condition {
                header: Some(header.clone()),
                ..Condition::default()
            },
            value,
        )),
        (None, _, Some(cookie), Some(value)) => Some(condition(
            Condition {
                cookie: Some(cookie.clone()),
                ..Condition::default()
            },
            value,
        )),
        _ => None,
    }
}

/// A header route as one proxy match route: all its matches must hold.
/// `None` for a route with no match or a malformed one (it is not carried
/// out rather than widened).
fn match_route(route: &HeaderRoute) -> Option<MatchRoute> {
    let all = route
        .matches
        .iter()
        .map(header_condition)
        .collect::<Option<Vec<_>>>()?;
    (!all.is_empty()).then(|| MatchRoute {
        name: route.name.clone(),
        all,
        arm: None,
    })
}

/// Each header route becomes one match route to the canary (a request goes
/// there when all of one route's matches hold). A route that cannot be
/// carried out is left out of the traffic reported as in effect.
fn add_header_routes(table: &mut RoutingTable, effective: &mut Traffic) {
    effective
        .header_routes
        .retain(|route| match match_route(route) {
            Some(r) => {
                table.routes.match_routes.push(r);
                true
            }
            None => false,
        });
}

/// A mirror route's match as one group: its method, path and headers must
/// all hold. `None` when it sets no condition (it matches every request).
fn mirror_group(m: &RouteMatch) -> Option<MatchGroup> {
    let part = |part, value: &Option<StringMatch>| {
        value.as_ref().map(|v| {
            condition(
                Condition {
                    request: Some(part),
                    ..Condition::default()
                },
                v,
            )
        })
    };
    let mut all: Vec<Condition> = [
        part(RequestPart::Method, &m.method),
        part(RequestPart::Path, &m.path),
    ]
    .into_iter()
    .flatten()
    .collect();
    all.extend(m.headers.iter().map(|(name, value)| {
        condition(
            Condition {
                header: Some(name.clone()),
                ..Condition::default()
            },
            value,
        )
    }));
    (!all.is_empty()).then_some(MatchGroup { all })
}

/// The groups of the mirror routes with a share: a request is eligible when
/// any matches. Empty (every request) when any route matches every request.
fn mirror_groups(routes: &[MirrorRoute]) -> Vec<MatchGroup> {
    let mut groups = Vec::new();
    for route in routes.iter().filter(|r| r.percentage > 0) {
        if route.matches.is_empty() {
            return Vec::new();
        }
        for m in &route.matches {
            match mirror_group(m) {
                Some(g) => groups.push(g),
                None => return Vec::new(),
            }
        }
    }
    groups
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

    fn exact(v: &str) -> Option<StringMatch> {
        Some(StringMatch {
            exact: Some(v.into()),
            ..StringMatch::default()
        })
    }

    #[test]
    fn a_header_route_becomes_one_group_whose_matches_must_all_hold() {
        let mut t = traffic("v1", Some("v2"), 0);
        t.header_routes = vec![HeaderRoute {
            name: "beta".into(),
            matches: vec![
                HeaderRoutingMatch {
                    header_name: Some("x-user".into()),
                    header_value: exact("beta"),
                    ..HeaderRoutingMatch::default()
                },
                HeaderRoutingMatch {
                    cookie_name: Some("canary".into()),
                    cookie_value: exact("1"),
                    ..HeaderRoutingMatch::default()
                },
            ],
        }];
        let b = main_table(&t, &eps(&[("v1", &[9001]), ("v2", &[9101])]));
        assert_eq!(b.effective, t);
        assert!(b.table.routes.header_routes.is_empty());
        assert!(b.table.routes.cookie_routes.is_empty());
        let routes = &b.table.routes.match_routes;
        assert_eq!(routes.len(), 1);
        assert_eq!(routes[0].name, "beta");
        let all = &routes[0].all;
        assert_eq!(
            (all[0].header.as_deref(), all[0].exact.as_deref()),
            (Some("x-user"), Some("beta"))
        );
        assert_eq!(
            (all[1].cookie.as_deref(), all[1].exact.as_deref()),
            (Some("canary"), Some("1"))
        );
        serin_proxy::Policy::check(&b.table).unwrap();
    }

    #[test]
    fn a_malformed_header_route_is_left_out_and_not_reported_in_effect() {
        let mut t = traffic("v1", Some("v2"), 0);
        t.header_routes = vec![HeaderRoute {
            name: "half".into(),
            matches: vec![HeaderRoutingMatch {
                header_name: Some("x-user".into()),
                ..HeaderRoutingMatch::default()
            }],
        }];
        let b = main_table(&t, &eps(&[("v1", &[9001]), ("v2", &[9101])]));
        assert!(b.table.routes.match_routes.is_empty());
        assert!(b.effective.header_routes.is_empty());
    }

    #[test]
    fn a_mirror_route_keeps_its_matches_as_groups() {
        let mut t = traffic("v1", Some("v2"), 0);
        t.mirror_routes = vec![MirrorRoute {
            name: "api".into(),
            matches: vec![RouteMatch {
                method: exact("GET"),
                path: Some(StringMatch {
                    prefix: Some("/api/".into()),
                    ..StringMatch::default()
                }),
                headers: BTreeMap::from([("x-mirror".to_owned(), exact("yes").unwrap())]),
            }],
            percentage: 20,
        }];
        let b = main_table(&t, &eps(&[("v1", &[9001]), ("v2", &[9101])]));
        let mirror = b.table.mirror.clone().unwrap();
        assert_eq!(mirror.percentage, 20.0);
        assert_eq!(mirror.matches.len(), 1);
        let all = &mirror.matches[0].all;
        assert_eq!(all.len(), 3);
        assert_eq!(all[0].request, Some(RequestPart::Method));
        assert_eq!(
            (all[1].request, all[1].prefix.as_deref()),
            (Some(RequestPart::Path), Some("/api/"))
        );
        assert_eq!(all[2].header.as_deref(), Some("x-mirror"));
        serin_proxy::Policy::check(&b.table).unwrap();
    }

    #[test]
    fn a_mirror_route_without_matches_mirrors_every_request() {
        let mut t = traffic("v1", Some("v2"), 0);
        t.mirror_routes = vec![
            MirrorRoute {
                name: "api".into(),
                matches: vec![RouteMatch {
                    path: exact("/api"),
                    ..RouteMatch::default()
                }],
                percentage: 10,
            },
            MirrorRoute {
                name: "all".into(),
                matches: vec![],
                percentage: 5,
            },
        ];
        let b = main_table(&t, &eps(&[("v1", &[9001]), ("v2", &[9101])]));
        assert_eq!(b.table.mirror, Some(MirrorSpec::all(10.0)));
    }

    #[test]
    fn a_spec_regex_is_anchored_to_match_the_whole_value() {
        let value = StringMatch {
            regex: Some("beta-[a-z]+".into()),
            ..StringMatch::default()
        };
        let c = condition(Condition::default(), &value);
        assert_eq!(c.regex.as_deref(), Some("^(?:beta-[a-z]+)$"));
        let re = regex::Regex::new(c.regex.as_deref().unwrap_or_default()).unwrap();
        assert!(re.is_match("beta-x"));
        assert!(!re.is_match("not-beta-x"));
    }
}
