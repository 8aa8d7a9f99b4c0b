//! The pure routing decision: request facts + checked [`Policy`] + a random
//! [`Draw`] → which arm serves the request, whether to mirror it, and whether
//! to hand the client a sticky bucket. No I/O, no clock, no randomness inside.

use std::net::IpAddr;

use http::{HeaderMap, Method};
use rand::Rng;

use crate::arm::Arm;
use crate::cookie::cookie_value;
use crate::policy::Policy;
use crate::weights::BUCKETS;

/// What the decision may look at in a request.
#[derive(Clone, Copy, Debug)]
pub struct RequestFacts<'a> {
    /// The request method (match routes, mirror matches).
    pub method: &'a Method,
    /// The request path, without the query (match routes, mirror matches).
    pub path: &'a str,
    /// The request headers (routes and the sticky cookie).
    pub headers: &'a HeaderMap,
    /// The client's address (the allow-list).
    pub client_ip: IpAddr,
}

/// The random numbers a decision may use, each uniform in `0..10000`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Draw {
    /// The split bucket for a client without a sticky cookie.
    pub bucket: u16,
    /// Compared with the mirror share.
    pub mirror: u16,
}

impl Draw {
    /// A fresh draw from the thread-local generator.
    pub fn random() -> Draw {
        let mut rng = rand::rng();
        Draw {
            bucket: rng.random_range(0..BUCKETS),
            mirror: rng.random_range(0..BUCKETS),
        }
    }
}

/// Why an arm was chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// `routes.matchRoutes[i]` matched: all its conditions held.
    MatchRoute(usize),
    /// `routes.headerRoutes[i]` matched.
    HeaderRoute(usize),
    /// `routes.cookieRoutes[i]` matched.
    CookieRoute(usize),
    /// The client address is on the allow-list.
    AllowList,
    /// The client's sticky bucket cookie picked the arm.
    Sticky,
    /// A fresh random bucket picked the arm.
    Split,
}

/// The outcome of [`decide`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The arm to forward to; `None` when no arm can take the request.
    pub arm: Option<Arm>,
    /// Why (before any fallback away from a drained arm).
    pub reason: Reason,
    /// A bucket to give the client as its sticky cookie.
    pub set_bucket: Option<u16>,
    /// Whether to copy the request to the shadow arm.
    pub mirror: bool,
}

/// Decides where one request goes.
pub fn decide(req: &RequestFacts<'_>, policy: &Policy, draw: Draw) -> Decision {
    let sticky_bucket = policy.sticky.as_ref().and_then(|s| {
        cookie_value(req.headers, &s.name)
            .and_then(|v| std::str::from_utf8(v).ok())
            .and_then(|v| v.parse::<u16>().ok())
            .filter(|b| *b < BUCKETS)
    });
    let set_bucket = match (&policy.sticky, sticky_bucket) {
        (Some(_), None) => Some(draw.bucket),
        _ => None,
    };
    let (wanted, reason) = route(req, policy).unwrap_or_else(|| {
        let (bucket, reason) = match sticky_bucket {
            Some(b) => (b, Reason::Sticky),
            None => (draw.bucket, Reason::Split),
        };
        let arm = if bucket < policy.weights.canary_buckets() {
            Arm::Canary
        } else {
            Arm::Stable
        };
        (arm, reason)
    });
    Decision {
        arm: fallback(policy, wanted),
        reason,
        set_bucket,
        mirror: draw.mirror < policy.mirror_buckets
            && policy.is_available(Arm::Shadow)
            && (policy.mirror_groups.is_empty()
                || policy.mirror_groups.iter().any(|g| g.holds(req))),
    }
}

/// The arm a route sends this request to, if any route matches.
fn route(req: &RequestFacts<'_>, policy: &Policy) -> Option<(Arm, Reason)> {
    for (i, rule) in policy.match_routes.iter().enumerate() {
        if rule.group.holds(req) {
            return Some((rule.arm, Reason::MatchRoute(i)));
        }
    }
    for (i, rule) in policy.header_routes.iter().enumerate() {
        if req
            .headers
            .get_all(&rule.name)
            .iter()
            .any(|v| rule.matcher.matches(v.as_bytes()))
        {
            return Some((rule.arm, Reason::HeaderRoute(i)));
        }
    }
    for (i, rule) in policy.cookie_routes.iter().enumerate() {
        if cookie_value(req.headers, &rule.name).is_some_and(|v| rule.matcher.matches(v)) {
            return Some((rule.arm, Reason::CookieRoute(i)));
        }
    }
    if policy
        .allow_list
        .iter()
        .any(|net| net.contains(req.client_ip))
    {
        return Some((Arm::Canary, Reason::AllowList));
    }
    None
}

/// The wanted arm if it can take requests, else stable, else canary.
fn fallback(policy: &Policy, wanted: Arm) -> Option<Arm> {
    [wanted, Arm::Stable, Arm::Canary]
        .into_iter()
        .find(|arm| policy.is_available(*arm))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::net::IpAddr;

    use http::{HeaderMap, HeaderValue, Method};

    use super::{Decision, Draw, Reason, RequestFacts, decide};
    use crate::arm::Arm;
    use crate::policy::Policy;
    use crate::table::{
        Condition, CookieRoute, HeaderRoute, MatchGroup, MatchRoute, MirrorSpec, RequestPart,
        RoutingTable, StickyCookie,
    };

    const LOCAL: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    fn table(canary: u32) -> RoutingTable {
        RoutingTable::split(("v1", &["127.0.0.1:1"]), ("v2", &["127.0.0.1:2"]), canary)
    }

    fn run(t: &RoutingTable, headers: &HeaderMap, bucket: u16) -> Decision {
        let policy = Policy::check(t).unwrap();
        let facts = RequestFacts {
            method: &Method::GET,
            path: "/",
            headers,
            client_ip: LOCAL,
        };
        decide(
            &facts,
            &policy,
            Draw {
                bucket,
                mirror: 9_999,
            },
        )
    }

    #[test]
    fn buckets_below_the_canary_share_go_to_canary() {
        let h = HeaderMap::new();
        assert_eq!(run(&table(10), &h, 999).arm, Some(Arm::Canary));
        assert_eq!(run(&table(10), &h, 1000).arm, Some(Arm::Stable));
        assert_eq!(run(&table(0), &h, 0).arm, Some(Arm::Stable));
        assert_eq!(run(&table(100), &h, 9_999).arm, Some(Arm::Canary));
    }

    #[test]
    fn a_sticky_bucket_keeps_canary_clients_in_canary_as_the_weight_grows() {
        let mut t = table(10);
        t.sticky_cookie = Some(StickyCookie {
            name: "b".into(),
            max_age_seconds: None,
        });
        let fresh = run(&t, &HeaderMap::new(), 500);
        assert_eq!(fresh.set_bucket, Some(500));
        let mut h = HeaderMap::new();
        h.insert("cookie", HeaderValue::from_static("b=500"));
        for w in [10, 20, 50, 100] {
            let mut t = t.clone().with_weights(100 - w, w);
            t.sticky_cookie = t.sticky_cookie.clone();
            let d = run(&t, &h, 9_999);
            assert_eq!(
                (d.arm, d.reason, d.set_bucket),
                (Some(Arm::Canary), Reason::Sticky, None)
            );
        }
    }

    #[test]
    fn header_and_cookie_routes_win_over_the_weights() {
        let mut t = table(0);
        t.routes.header_routes.push(HeaderRoute {
            header: "x-canary".into(),
            prefix: Some("yes".into()),
            ..Default::default()
        });
        t.routes.cookie_routes.push(CookieRoute {
            cookie: "beta".into(),
            exact: Some("1".into()),
            ..Default::default()
        });
        let mut h = HeaderMap::new();
        h.insert("x-canary", HeaderValue::from_static("yes-please"));
        assert_eq!(run(&t, &h, 9_999).reason, Reason::HeaderRoute(0));
        let mut h = HeaderMap::new();
        h.insert("cookie", HeaderValue::from_static("beta=1"));
        assert_eq!(run(&t, &h, 9_999).arm, Some(Arm::Canary));
        h.insert("cookie", HeaderValue::from_static("beta=2"));
        assert_eq!(run(&t, &h, 9_999).arm, Some(Arm::Stable));
    }

    #[test]
    fn allow_listed_clients_go_to_canary_and_others_do_not() {
        let mut t = table(0);
        t.routes.allow_list = vec!["127.0.0.0/8".into()];
        assert_eq!(run(&t, &HeaderMap::new(), 9_999).reason, Reason::AllowList);
        t.routes.allow_list = vec!["10.0.0.1".into()];
        assert_eq!(run(&t, &HeaderMap::new(), 9_999).arm, Some(Arm::Stable));
    }

    #[test]
    fn a_drained_arm_gets_no_requests_and_traffic_falls_back() {
        let mut t = table(100);
        t.drained = vec!["canary".into()];
        assert_eq!(run(&t, &HeaderMap::new(), 0).arm, Some(Arm::Stable));
        t.drained = vec!["canary".into(), "stable".into()];
        assert_eq!(run(&t, &HeaderMap::new(), 0).arm, None);
        t.drained = vec!["stable".into()];
        assert_eq!(run(&t, &HeaderMap::new(), 9_999).arm, Some(Arm::Canary));
    }

    #[test]
    fn mirroring_follows_the_mirror_draw_and_needs_a_shadow() {
        let mut t = table(0);
        t.arms.insert("shadow".into(), t.arms["canary"].clone());
        t.mirror = Some(MirrorSpec::all(5.0));
        let policy = Policy::check(&t).unwrap();
        let h = HeaderMap::new();
        let facts = RequestFacts {
            method: &Method::GET,
            path: "/",
            headers: &h,
            client_ip: LOCAL,
        };
        assert!(
            decide(
                &facts,
                &policy,
                Draw {
                    bucket: 0,
                    mirror: 499
                }
            )
            .mirror
        );
        assert!(
            !decide(
                &facts,
                &policy,
                Draw {
                    bucket: 0,
                    mirror: 500
                }
            )
            .mirror
        );
    }

    fn header(name: &str, exact: &str) -> Condition {
        Condition {
            header: Some(name.into()),
            exact: Some(exact.into()),
            ..Default::default()
        }
    }

    fn cookie(name: &str, exact: &str) -> Condition {
        Condition {
            cookie: Some(name.into()),
            exact: Some(exact.into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_match_route_sends_to_canary_only_when_every_condition_holds() {
        let mut t = table(0);
        t.routes.match_routes.push(MatchRoute {
            name: "beta".into(),
            all: vec![header("x-user", "beta"), cookie("canary", "1")],
            arm: None,
        });
        let mut only_header = HeaderMap::new();
        only_header.insert("x-user", HeaderValue::from_static("beta"));
        assert_eq!(run(&t, &only_header, 9_999).arm, Some(Arm::Stable));
        let mut only_cookie = HeaderMap::new();
        only_cookie.insert("cookie", HeaderValue::from_static("canary=1"));
        assert_eq!(run(&t, &only_cookie, 9_999).arm, Some(Arm::Stable));
        let mut both = only_header.clone();
        both.insert("cookie", HeaderValue::from_static("a=b; canary=1"));
        let d = run(&t, &both, 9_999);
        assert_eq!(
            (d.arm, d.reason),
            (Some(Arm::Canary), Reason::MatchRoute(0))
        );
    }

    #[test]
    fn a_match_route_can_test_the_method_and_the_path() {
        let mut t = table(0);
        t.routes.match_routes.push(MatchRoute {
            name: String::new(),
            all: vec![
                Condition {
                    request: Some(RequestPart::Method),
                    exact: Some("POST".into()),
                    ..Default::default()
                },
                Condition {
                    request: Some(RequestPart::Path),
                    prefix: Some("/api/".into()),
                    ..Default::default()
                },
            ],
            arm: None,
        });
        let policy = Policy::check(&t).unwrap();
        let h = HeaderMap::new();
        let arm = |method: &Method, path: &str| {
            let facts = RequestFacts {
                method,
                path,
                headers: &h,
                client_ip: LOCAL,
            };
            decide(
                &facts,
                &policy,
                Draw {
                    bucket: 9_999,
                    mirror: 0,
                },
            )
            .arm
        };
        assert_eq!(arm(&Method::POST, "/api/orders"), Some(Arm::Canary));
        assert_eq!(arm(&Method::GET, "/api/orders"), Some(Arm::Stable));
        assert_eq!(arm(&Method::POST, "/web"), Some(Arm::Stable));
    }

    #[test]
    fn mirroring_with_match_groups_copies_only_requests_matching_one_of_them() {
        let mut t = table(0);
        t.arms.insert("shadow".into(), t.arms["canary"].clone());
        let path = |prefix: &str| MatchGroup {
            all: vec![Condition {
                request: Some(RequestPart::Path),
                prefix: Some(prefix.into()),
                ..Default::default()
            }],
        };
        t.mirror = Some(MirrorSpec {
            percentage: 100.0,
            matches: vec![path("/api/"), path("/admin/")],
        });
        let policy = Policy::check(&t).unwrap();
        let h = HeaderMap::new();
        let mirrored = |path: &str| {
            let facts = RequestFacts {
                method: &Method::GET,
                path,
                headers: &h,
                client_ip: LOCAL,
            };
            decide(
                &facts,
                &policy,
                Draw {
                    bucket: 0,
                    mirror: 0,
                },
            )
            .mirror
        };
        assert!(mirrored("/api/x"));
        assert!(mirrored("/admin/y"));
        assert!(!mirrored("/web"));
    }
}
