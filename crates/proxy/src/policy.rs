//! Validation: turns a plain [`RoutingTable`] into a checked, immutable
//! [`Policy`], or refuses it with a [`TableError`] naming the exact field
//! (`routes.headerRoutes[1].regex: unclosed group …`).

use std::fmt;

use http::HeaderName;
use http::uri::Authority;
use regex::Regex;
use thiserror::Error;

use crate::arm::Arm;
use crate::group::CheckedGroup;
use crate::matcher::{IpNet, ValueMatcher};
use crate::table::{
    HealthCheckSpec, PassiveHealthSpec, RoutingTable, StickyCookie, UpstreamProtocol,
};
use crate::weights::{BUCKETS, Weights};

/// A routing table was refused: `field` is the path to the bad value.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[error("{field}: {message}")]
pub struct TableError {
    /// Path to the offending value, e.g. `routes.headerRoutes[1].regex`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl TableError {
    pub(crate) fn new(field: impl Into<String>, message: impl fmt::Display) -> TableError {
        TableError {
            field: field.into(),
            message: message.to_string(),
        }
    }

    /// The same error under a parent path, e.g. `listeners[0].routing`.
    pub fn under(self, parent: &str) -> TableError {
        TableError {
            field: format!("{parent}.{}", self.field),
            message: self.message,
        }
    }
}

/// One checked arm: parsed endpoints and health settings.
#[derive(Clone, Debug)]
pub(crate) struct CheckedArm {
    pub(crate) version: String,
    pub(crate) endpoints: Vec<Authority>,
    pub(crate) protocol: UpstreamProtocol,
    pub(crate) health_check: Option<HealthCheckSpec>,
    pub(crate) passive: PassiveHealthSpec,
}

/// A header route, checked.
#[derive(Clone, Debug)]
pub(crate) struct HeaderRule {
    pub(crate) name: HeaderName,
    pub(crate) matcher: ValueMatcher,
    pub(crate) arm: Arm,
}

/// A match route, checked.
#[derive(Clone, Debug)]
pub(crate) struct MatchRule {
    pub(crate) group: CheckedGroup,
    pub(crate) arm: Arm,
}

/// A cookie route, checked.
#[derive(Clone, Debug)]
pub(crate) struct CookieRule {
    pub(crate) name: String,
    pub(crate) matcher: ValueMatcher,
    pub(crate) arm: Arm,
}

/// The sticky cookie, with its `Set-Cookie` attributes prepared.
#[derive(Clone, Debug)]
pub(crate) struct Sticky {
    pub(crate) name: String,
    pub(crate) attributes: String,
}

/// A routing table known to be valid. Immutable: a change builds a new one.
#[derive(Clone, Debug)]
pub struct Policy {
    pub(crate) spec: RoutingTable,
    pub(crate) weights: Weights,
    pub(crate) arms: [Option<CheckedArm>; 4],
    pub(crate) drained: [bool; 4],
    pub(crate) sticky: Option<Sticky>,
    pub(crate) match_routes: Vec<MatchRule>,
    pub(crate) header_routes: Vec<HeaderRule>,
    pub(crate) cookie_routes: Vec<CookieRule>,
    pub(crate) allow_list: Vec<IpNet>,
    /// Mirror when the mirror draw (`0..BUCKETS`) is below this.
    pub(crate) mirror_buckets: u16,
    /// Mirror only requests for which one of these holds; any when empty.
    pub(crate) mirror_groups: Vec<CheckedGroup>,
}

impl Policy {
    /// Checks a table; the first problem found is returned with its field path.
    pub fn check(table: &RoutingTable) -> Result<Policy, TableError> {
        let arms = check_arms(table)?;
        let defined = |arm: Arm| arms[arm.index()].is_some();
        let weights = check_weights(table, &defined)?;
        let sticky = table.sticky_cookie.as_ref().map(check_sticky).transpose()?;
        let match_routes = table
            .routes
            .match_routes
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let field = format!("routes.matchRoutes[{i}]");
                let group = CheckedGroup::check(&field, &r.all)?;
                let arm = check_route_arm(&field, r.arm.as_deref(), &defined)?;
                Ok(MatchRule { group, arm })
            })
            .collect::<Result<Vec<_>, TableError>>()?;
        let header_routes = table
            .routes
            .header_routes
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let field = format!("routes.headerRoutes[{i}]");
                let name = HeaderName::from_bytes(r.header.as_bytes()).map_err(|_| {
                    TableError::new(
                        format!("{field}.header"),
                        format!("{:?} is not a valid header name", r.header),
                    )
                })?;
                let matcher = check_matcher(&field, &r.exact, &r.prefix, &r.regex)?;
                let arm = check_route_arm(&field, r.arm.as_deref(), &defined)?;
                Ok(HeaderRule { name, matcher, arm })
            })
            .collect::<Result<Vec<_>, TableError>>()?;
        let cookie_routes = table
            .routes
            .cookie_routes
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let field = format!("routes.cookieRoutes[{i}]");
                if !is_token(&r.cookie) {
                    return Err(TableError::new(
                        format!("{field}.cookie"),
                        format!("{:?} is not a valid cookie name", r.cookie),
                    ));
                }
                let matcher = check_matcher(&field, &r.exact, &r.prefix, &r.regex)?;
                let arm = check_route_arm(&field, r.arm.as_deref(), &defined)?;
                Ok(CookieRule {
                    name: r.cookie.clone(),
                    matcher,
                    arm,
                })
            })
            .collect::<Result<Vec<_>, TableError>>()?;
        if !table.routes.allow_list.is_empty() && !defined(Arm::Canary) {
            return Err(TableError::new(
                "routes.allowList",
                "the allow-list sends clients to the canary, but arms.canary is not defined",
            ));
        }
        let allow_list = table
            .routes
            .allow_list
            .iter()
            .enumerate()
            .map(|(i, s)| {
                s.parse::<IpNet>()
                    .map_err(|m| TableError::new(format!("routes.allowList[{i}]"), m))
            })
            .collect::<Result<Vec<_>, TableError>>()?;
        let mirror_groups = table
            .mirror
            .iter()
            .flat_map(|m| m.matches.iter().enumerate())
            .map(|(i, g)| CheckedGroup::check(&format!("mirror.match[{i}]"), &g.all))
            .collect::<Result<Vec<_>, TableError>>()?;
        let mirror_buckets = match &table.mirror {
            None => 0,
            Some(m) => {
                if !(0.0..=100.0).contains(&m.percentage) {
                    return Err(TableError::new(
                        "mirror.percentage",
                        format!("must be between 0 and 100, got {}", m.percentage),
                    ));
                }
                if m.percentage > 0.0 && !defined(Arm::Shadow) {
                    return Err(TableError::new(
                        "mirror.percentage",
                        "mirroring needs a shadow arm, but arms.shadow is not defined",
                    ));
                }
                // In 0..=10000 after the range check above.
                (m.percentage * f64::from(BUCKETS) / 100.0).round() as u16
            }
        };
        let mut drained = [false; 4];
        for (i, name) in table.drained.iter().enumerate() {
            let field = format!("drained[{i}]");
            let arm = Arm::parse(name).ok_or_else(|| unknown_arm(&field, name))?;
            if !defined(arm) {
                return Err(undefined_arm(&field, arm));
            }
            drained[arm.index()] = true;
        }
        Ok(Policy {
            spec: table.clone(),
            weights,
            arms,
            drained,
            sticky,
            match_routes,
            header_routes,
            cookie_routes,
            allow_list,
            mirror_buckets,
            mirror_groups,
        })
    }

    /// The table this policy was checked from.
    pub fn table(&self) -> &RoutingTable {
        &self.spec
    }

    /// The stable/canary split.
    pub fn weights(&self) -> Weights {
        self.weights
    }

    /// Whether the arm is defined and not drained.
    pub fn is_available(&self, arm: Arm) -> bool {
        self.arms[arm.index()].is_some() && !self.drained[arm.index()]
    }

    /// The version label of an arm, when defined.
    pub fn version(&self, arm: Arm) -> Option<&str> {
        self.arms[arm.index()].as_ref().map(|a| a.version.as_str())
    }
}

fn unknown_arm(field: &str, name: &str) -> TableError {
    TableError::new(
        field,
        format!("unknown arm {name:?} (expected stable, canary, preview or shadow)"),
    )
}

fn undefined_arm(field: &str, arm: Arm) -> TableError {
    TableError::new(
        field,
        format!("arm {:?} is not defined in arms", arm.as_str()),
    )
}

fn check_arms(table: &RoutingTable) -> Result<[Option<CheckedArm>; 4], TableError> {
    let mut arms: [Option<CheckedArm>; 4] = Default::default();
    for (name, spec) in &table.arms {
        let field = format!("arms.{name}");
        let arm = Arm::parse(name).ok_or_else(|| unknown_arm(&field, name))?;
        if spec.version.trim().is_empty() {
            return Err(TableError::new(
                format!("{field}.version"),
                "must not be empty",
            ));
        }
        if spec.endpoints.is_empty() {
            return Err(TableError::new(
                format!("{field}.endpoints"),
                "an arm needs at least one endpoint",
            ));
        }
        let endpoints = spec
            .endpoints
            .iter()
            .enumerate()
            .map(|(i, e)| {
                e.parse::<Authority>()
                    .ok()
                    .filter(|a| a.port_u16().is_some() && !a.as_str().contains('@'))
                    .ok_or_else(|| {
                        TableError::new(
                            format!("{field}.endpoints[{i}]"),
                            format!("{e:?} is not host:port"),
                        )
                    })
            })
            .collect::<Result<Vec<_>, TableError>>()?;
        if let Some(hc) = &spec.health_check {
            if !hc.path.starts_with('/') {
                return Err(TableError::new(
                    format!("{field}.healthCheck.path"),
                    format!("must start with '/', got {:?}", hc.path),
                ));
            }
            if hc.interval_ms == 0 || hc.timeout_ms == 0 {
                return Err(TableError::new(
                    format!("{field}.healthCheck"),
                    "intervalMs and timeoutMs must be positive",
                ));
            }
        }
        let passive = spec.passive_health.clone().unwrap_or_default();
        if passive.consecutive_failures == 0 {
            return Err(TableError::new(
                format!("{field}.passiveHealth.consecutiveFailures"),
                "must be at least 1",
            ));
        }
        arms[arm.index()] = Some(CheckedArm {
            version: spec.version.clone(),
            endpoints,
            protocol: spec.protocol,
            health_check: spec.health_check.clone(),
            passive,
        });
    }
    if arms[Arm::Stable.index()].is_none() {
        return Err(TableError::new("arms.stable", "the stable arm is required"));
    }
    Ok(arms)
}

fn check_weights(
    table: &RoutingTable,
    defined: &dyn Fn(Arm) -> bool,
) -> Result<Weights, TableError> {
    if table.weights.is_empty() {
        return Ok(Weights::ALL_STABLE);
    }
    let (mut stable, mut canary) = (0, 0);
    for (name, weight) in &table.weights {
        let field = format!("weights.{name}");
        match Arm::parse(name) {
            None => return Err(unknown_arm(&field, name)),
            Some(Arm::Stable) => stable = *weight,
            Some(Arm::Canary) => {
                if *weight > 0 && !defined(Arm::Canary) {
                    return Err(undefined_arm(&field, Arm::Canary));
                }
                canary = *weight;
            }
            Some(arm) => {
                return Err(TableError::new(
                    field,
                    format!("only stable and canary take a weighted share, not {arm}"),
                ));
            }
        }
    }
    Weights::new(stable, canary).map_err(|e| TableError::new("weights", e))
}

fn check_sticky(sticky: &StickyCookie) -> Result<Sticky, TableError> {
    if !is_token(&sticky.name) {
        return Err(TableError::new(
            "stickyCookie.name",
            format!("{:?} is not a valid cookie name", sticky.name),
        ));
    }
    let mut attributes = String::from("; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = sticky.max_age_seconds {
        attributes.push_str(&format!("; Max-Age={age}"));
    }
    Ok(Sticky {
        name: sticky.name.clone(),
        attributes,
    })
}

pub(crate) fn check_matcher(
    field: &str,
    exact: &Option<String>,
    prefix: &Option<String>,
    regex: &Option<String>,
) -> Result<ValueMatcher, TableError> {
    match (exact, prefix, regex) {
        (Some(v), None, None) => Ok(ValueMatcher::Exact(v.clone())),
        (None, Some(v), None) => Ok(ValueMatcher::Prefix(v.clone())),
        (None, None, Some(v)) => Regex::new(v).map(ValueMatcher::Regex).map_err(|e| {
            TableError::new(
                format!("{field}.regex"),
                format!("{} in {v:?}", regex_reason(&e)),
            )
        }),
        _ => Err(TableError::new(
            field,
            "exactly one of exact, prefix or regex is required",
        )),
    }
}

/// The one-line reason from a regex error (its display spans several lines).
fn regex_reason(e: &regex::Error) -> String {
    let text = e.to_string();
    text.lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .unwrap_or(text.lines().last().unwrap_or("invalid regex"))
        .to_owned()
}

fn check_route_arm(
    field: &str,
    arm: Option<&str>,
    defined: &dyn Fn(Arm) -> bool,
) -> Result<Arm, TableError> {
    let field = format!("{field}.arm");
    let arm = match arm {
        None => Arm::Canary,
        Some(name) => Arm::parse(name).ok_or_else(|| unknown_arm(&field, name))?,
    };
    if arm == Arm::Shadow {
        return Err(TableError::new(
            field,
            "the shadow arm only receives mirrored copies; use mirror instead",
        ));
    }
    if !defined(arm) {
        return Err(undefined_arm(&field, arm));
    }
    Ok(arm)
}

/// RFC 6265 cookie-name / RFC 9110 token characters.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::Policy;
    use crate::table::{
        Condition, HeaderRoute, MatchGroup, MatchRoute, MirrorSpec, RequestPart, RoutingTable,
    };

    fn table() -> RoutingTable {
        RoutingTable::split(("v1", &["127.0.0.1:1"]), ("v2", &["127.0.0.1:2"]), 10)
    }

    fn field_of(t: &RoutingTable) -> String {
        Policy::check(t).unwrap_err().field
    }

    #[test]
    fn a_valid_split_is_accepted() {
        let p = Policy::check(&table()).unwrap();
        assert_eq!(p.weights().canary_percent(), 10);
        assert_eq!(p.version(crate::Arm::Canary), Some("v2"));
    }

    #[test]
    fn bad_tables_name_the_offending_field() {
        assert_eq!(field_of(&table().with_weights(80, 10)), "weights");
        let mut t = table();
        t.weights.insert("blue".into(), 0);
        assert_eq!(field_of(&t), "weights.blue");
        let mut t = table();
        t.arms.get_mut("canary").unwrap().endpoints.clear();
        assert_eq!(field_of(&t), "arms.canary.endpoints");
        let mut t = table();
        t.arms.get_mut("stable").unwrap().endpoints[0] = "no port".into();
        assert_eq!(field_of(&t), "arms.stable.endpoints[0]");
        let mut t = table();
        t.routes.header_routes = vec![
            HeaderRoute {
                header: "x-a".into(),
                exact: Some("1".into()),
                ..Default::default()
            },
            HeaderRoute {
                header: "x-b".into(),
                regex: Some("(abc".into()),
                ..Default::default()
            },
        ];
        let err = Policy::check(&t).unwrap_err();
        assert_eq!(err.field, "routes.headerRoutes[1].regex");
        assert!(
            err.to_string()
                .starts_with("routes.headerRoutes[1].regex: unclosed group"),
            "{err}"
        );
        let mut t = table();
        t.mirror = Some(MirrorSpec::all(5.0));
        assert_eq!(field_of(&t), "mirror.percentage");
        let mut t = table();
        t.arms.remove("stable");
        assert_eq!(field_of(&t), "arms.stable");
    }

    #[test]
    fn bad_match_groups_name_the_condition_at_fault() {
        let mut t = table();
        t.routes.match_routes = vec![MatchRoute {
            name: "beta".into(),
            all: vec![
                Condition {
                    header: Some("x-user".into()),
                    exact: Some("beta".into()),
                    ..Default::default()
                },
                Condition {
                    cookie: Some("canary".into()),
                    regex: Some("(abc".into()),
                    ..Default::default()
                },
            ],
            arm: None,
        }];
        let err = Policy::check(&t).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("routes.matchRoutes[0].all[1].regex: unclosed group"),
            "{err}"
        );
        t.routes.match_routes[0].all[1] = Condition {
            cookie: Some("canary".into()),
            request: Some(RequestPart::Path),
            exact: Some("1".into()),
            ..Default::default()
        };
        assert_eq!(field_of(&t), "routes.matchRoutes[0].all[1]");
        t.routes.match_routes[0].all.clear();
        assert_eq!(field_of(&t), "routes.matchRoutes[0].all");
        let mut t = table();
        t.arms.insert("shadow".into(), t.arms["canary"].clone());
        t.mirror = Some(MirrorSpec {
            percentage: 5.0,
            matches: vec![MatchGroup {
                all: vec![Condition {
                    header: Some("bad header".into()),
                    exact: Some("1".into()),
                    ..Default::default()
                }],
            }],
        });
        assert_eq!(field_of(&t), "mirror.match[0].all[0].header");
    }
}
