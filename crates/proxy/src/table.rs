//! The routing table as plain data: what a config file, an admin `PUT` or
//! another crate writes. Nothing here is checked; [`crate::policy`] turns a
//! [`RoutingTable`] into a checked [`crate::Policy`] or names the bad field.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Everything that decides where a listener's requests go. Replaced whole,
/// atomically, by [`crate::Proxy::set_routing`] or `PUT /listeners/{name}/routing`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RoutingTable {
    /// Arms by name (`stable`, `canary`, `preview`, `shadow`). `stable` is required.
    pub arms: BTreeMap<String, ArmSpec>,
    /// Percent of split traffic per arm; only `stable` and `canary`; must sum to 100.
    #[serde(default)]
    pub weights: BTreeMap<String, u32>,
    /// Keep each client on the arm it was first given (a bucket cookie).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sticky_cookie: Option<StickyCookie>,
    /// Requests that bypass the weights.
    #[serde(default, skip_serializing_if = "Routes::is_empty")]
    pub routes: Routes,
    /// Copy a share of requests to the `shadow` arm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mirror: Option<MirrorSpec>,
    /// Arms that take no new requests (see [`crate::Proxy::drain`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drained: Vec<String>,
}

/// One arm: a version label and the endpoints that serve it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ArmSpec {
    /// The version label used in metrics (`v1`, `2024-06-01`, a git sha…).
    pub version: String,
    /// Upstream addresses, `host:port`.
    pub endpoints: Vec<String>,
    /// HTTP/1.1 (default) or HTTP/2 with prior knowledge to the upstreams.
    #[serde(default)]
    pub protocol: UpstreamProtocol,
    /// Active readiness checks; none when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check: Option<HealthCheckSpec>,
    /// Passive ejection after consecutive failures; defaults apply when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passive_health: Option<PassiveHealthSpec>,
}

/// The protocol spoken to an arm's upstreams.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum UpstreamProtocol {
    /// HTTP/1.1 with a keep-alive pool.
    #[default]
    Http1,
    /// Cleartext HTTP/2 with prior knowledge, multiplexed.
    H2c,
}

/// An active readiness check: `GET path` on every endpoint every interval.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HealthCheckSpec {
    /// The path to request, e.g. `/up`.
    pub path: String,
    /// Milliseconds between checks (default 1000).
    #[serde(default = "default_interval_ms")]
    pub interval_ms: u64,
    /// Milliseconds before a check counts as failed (default 1000).
    #[serde(default = "default_interval_ms")]
    pub timeout_ms: u64,
}

fn default_interval_ms() -> u64 {
    1000
}

/// Passive health: eject an endpoint after consecutive failures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PassiveHealthSpec {
    /// Consecutive failures (connection errors, and 5xx when `count5xx`) before ejection.
    #[serde(default = "default_consecutive_failures")]
    pub consecutive_failures: u32,
    /// How long an ejected endpoint rests before it is tried again, in milliseconds.
    #[serde(default = "default_eject_ms")]
    pub eject_ms: u64,
    /// Whether a 5xx response counts as a failure (default false).
    #[serde(default, rename = "count5xx")]
    pub count_5xx: bool,
}

fn default_consecutive_failures() -> u32 {
    5
}

fn default_eject_ms() -> u64 {
    10_000
}

impl Default for PassiveHealthSpec {
    fn default() -> Self {
        PassiveHealthSpec {
            consecutive_failures: default_consecutive_failures(),
            eject_ms: default_eject_ms(),
            count_5xx: false,
        }
    }
}

/// The sticky-session cookie: holds a random bucket in `0..10000`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StickyCookie {
    /// Cookie name, e.g. `serin-bucket`.
    pub name: String,
    /// `Max-Age` in seconds; a session cookie when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age_seconds: Option<u64>,
}

/// Routes that pick an arm whatever the weights, checked in this order:
/// match routes, header routes, cookie routes, then the allow-list.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Routes {
    /// Named groups of conditions that must all hold.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub match_routes: Vec<MatchRoute>,
    /// Match a request header.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub header_routes: Vec<HeaderRoute>,
    /// Match a cookie.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cookie_routes: Vec<CookieRoute>,
    /// Client addresses (`10.0.0.7` or `10.0.0.0/8`) always sent to the canary.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow_list: Vec<String>,
}

impl Routes {
    /// True when no route of any kind is set.
    pub fn is_empty(&self) -> bool {
        self.match_routes.is_empty()
            && self.header_routes.is_empty()
            && self.cookie_routes.is_empty()
            && self.allow_list.is_empty()
    }
}

/// A match route: requests for which every condition in `all` holds go to `arm`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MatchRoute {
    /// A label for the route (metrics, logs, errors); may be empty.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// The conditions; at least one, all must hold.
    pub all: Vec<Condition>,
    /// Target arm; `canary` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arm: Option<String>,
}

/// A group of conditions that must all hold (one entry of `mirror.match`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MatchGroup {
    /// The conditions; at least one, all must hold.
    pub all: Vec<Condition>,
}

/// The part of a request a [`Condition`] looks at, besides headers and cookies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RequestPart {
    /// The method, e.g. `GET`.
    Method,
    /// The path, without the query.
    Path,
}

/// One condition: exactly one of `header`, `cookie`, `request`, and exactly
/// one of `exact`, `prefix`, `regex`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Condition {
    /// A header name (case-insensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    /// A cookie name (case-sensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cookie: Option<String>,
    /// The method or the path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<RequestPart>,
    /// The whole value equals this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exact: Option<String>,
    /// The value starts with this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// The value matches this regular expression (unanchored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
}

/// A header route: exactly one of `exact`, `prefix`, `regex`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HeaderRoute {
    /// Header name (case-insensitive).
    pub header: String,
    /// The whole value equals this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exact: Option<String>,
    /// The value starts with this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// The value matches this regular expression (unanchored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    /// Target arm; `canary` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arm: Option<String>,
}

/// A cookie route: exactly one of `exact`, `prefix`, `regex`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CookieRoute {
    /// Cookie name (case-sensitive).
    pub cookie: String,
    /// The whole value equals this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exact: Option<String>,
    /// The value starts with this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// The value matches this regular expression (unanchored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    /// Target arm; `canary` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arm: Option<String>,
}

/// Mirroring: copy `percentage` of the requests matching any of `match`
/// (every request when `match` is empty) to the `shadow` arm.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MirrorSpec {
    /// Percent of requests copied, `0..=100`, fractions allowed (`0.5`).
    pub percentage: f64,
    /// Groups of conditions; a request is eligible when any group holds.
    #[serde(default, rename = "match", skip_serializing_if = "Vec::is_empty")]
    pub matches: Vec<MatchGroup>,
}

impl MirrorSpec {
    /// Mirror `percentage` of all requests.
    pub fn all(percentage: f64) -> MirrorSpec {
        MirrorSpec {
            percentage,
            matches: Vec::new(),
        }
    }
}

impl RoutingTable {
    /// A table sending `canary`% of traffic to `canary_endpoints`, the rest to
    /// `stable_endpoints`: a starting point for builders and tests.
    pub fn split(
        stable: (&str, &[&str]),
        canary: (&str, &[&str]),
        canary_percent: u32,
    ) -> RoutingTable {
        let arm = |(version, endpoints): (&str, &[&str])| ArmSpec {
            version: version.to_owned(),
            endpoints: endpoints.iter().map(|e| (*e).to_owned()).collect(),
            ..ArmSpec::default()
        };
        RoutingTable {
            arms: BTreeMap::from([
                ("stable".to_owned(), arm(stable)),
                ("canary".to_owned(), arm(canary)),
            ]),
            weights: BTreeMap::from([
                ("stable".to_owned(), 100u32.saturating_sub(canary_percent)),
                ("canary".to_owned(), canary_percent),
            ]),
            ..RoutingTable::default()
        }
    }

    /// This table with new stable/canary weights.
    pub fn with_weights(mut self, stable: u32, canary: u32) -> RoutingTable {
        self.weights =
            BTreeMap::from([("stable".to_owned(), stable), ("canary".to_owned(), canary)]);
        self
    }
}
