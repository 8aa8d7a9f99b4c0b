//! What one HTTPRoute must become, computed from the route as read: the
//! merge patch that makes it carry a [`Traffic`], the merge patch that
//! gives it back as it was, and the traffic it carries now. Pure.
//!
//! serin owns, on an HTTPRoute: the `weight` of the stable and canary
//! Services' `backendRefs` in the rules it owns, the rules named `serin-*`
//! (added in front of all others), the [`ORIGINAL_ANNOTATION`] (the owned
//! weights before serin's first write, written once) and the
//! `serin.dev/traffic` annotation. `spec.rules` is a list, so a write sends
//! the whole list, conditional on the `resourceVersion` read: only serin's
//! parts differ from what was read.
//!
//! [`ORIGINAL_ANNOTATION`]: serin_api::k8s::ORIGINAL_ANNOTATION

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use serin_api::status::Traffic;

use super::acceptance;
use super::affinity::Cookie;
use super::managed::{self, Added};
use super::objects::{Object, list};
use super::owned::{self, Layout};
use super::planned::Plan;
use super::rules;
use super::weights::{Arm, Recorded};

/// The router's name, in errors and logs.
pub(crate) const ROUTER: &str = "gatewayAPI";

/// Where the weights are in an HTTPRoute rule.
const LAYOUT: Layout = Layout {
    backends: "backendRefs",
    entry: "rule",
    in_front_of_all: true,
};

/// What the router knows of the rollout, for every route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Backends {
    /// The stable Service (`canary.stableService`).
    pub stable_service: String,
    /// The canary Service (`canary.canaryService`).
    pub canary_service: String,
    /// The Services' namespace: the rollout's (the routes may be in
    /// another, their backendRefs then naming it).
    pub namespace: String,
    /// The total weight (`maxTrafficWeight`, default 100).
    pub total: i32,
    /// `trafficRouting.managedRoutes`, in precedence order.
    pub managed: Vec<String>,
    /// The cookie of `sessionAffinity`, when the canary has one.
    pub affinity: Option<Cookie>,
}

/// The plan of one HTTPRoute: the rules serin owns in it (all rules to the
/// stable Service when empty) and what it knows of the rollout.
pub(crate) struct RoutePlan {
    /// The names of the owned rules.
    pub rules: Vec<String>,
    /// The Services, total and managed routes.
    pub backends: std::sync::Arc<Backends>,
}

impl Plan for RoutePlan {
    fn apply_patch(
        &self,
        route: &Value,
        traffic: &Traffic,
    ) -> Result<Option<Value>, crate::RouterError> {
        apply_patch(route, &self.rules, &self.backends, traffic)
    }

    fn restore_patch(&self, route: &Value) -> Result<Option<Value>, crate::RouterError> {
        restore_patch(route, &self.backends)
    }

    fn carried(&self, route: &Value) -> Result<Option<Traffic>, crate::RouterError> {
        carried(route, &self.rules, &self.backends)
    }
}

/// serin's record of an HTTPRoute before its first write.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct Original {
    /// The owned weights, per rule key (its name, or `#<index>`).
    rules: Recorded,
}

/// The merge patch that makes `route` carry `traffic` on the rules named
/// `owned` (all rules to the stable Service when empty); `None` when it
/// already does.
///
/// # Errors
/// [`crate::RouterError::Invalid`] naming the route and what is wrong.
pub(crate) fn apply_patch(
    route: &Value,
    owned: &[String],
    backends: &Backends,
    traffic: &Traffic,
) -> Result<Option<Value>, crate::RouterError> {
    let obj = Object::new(ROUTER, route);
    let recorded: Option<Original> = obj.original()?;
    let (rules, before) = desired(obj, owned, backends, traffic)?;
    let mut spec = Map::new();
    if rules != list(&route["spec"], "rules") {
        spec.insert("rules".into(), Value::Array(rules));
    }
    let first = recorded.is_none().then_some(Original { rules: before });
    obj.apply_patch(first.as_ref(), traffic, spec)
}

/// The merge patch that gives `route` back as serin found it: serin's
/// rules gone, the owned weights as recorded, serin's annotations gone;
/// `None` when serin never wrote it.
///
/// # Errors
/// [`crate::RouterError::Invalid`] when serin's record is unreadable.
pub(crate) fn restore_patch(
    route: &Value,
    backends: &Backends,
) -> Result<Option<Value>, crate::RouterError> {
    let obj = Object::new(ROUTER, route);
    let namespace = route["metadata"]["namespace"].as_str().unwrap_or("");
    let arm_of = |b: &Value| arm(b, namespace, backends);
    let Some(recorded) = obj.original::<Original>()? else {
        return Ok(None);
    };
    let current = list(&route["spec"], "rules");
    let mut rules = owned::restored(LAYOUT, owned::theirs(current), &recorded.rules, arm_of);
    if let Some(cookie) = &backends.affinity {
        rules.iter_mut().for_each(|r| cookie.strip_rule(r));
    }
    let mut spec = Map::new();
    if rules != current {
        spec.insert("rules".into(), Value::Array(rules));
    }
    Ok(Some(obj.restore_patch(spec)))
}

/// The traffic `route` carries: the traffic in its annotation when its
/// rules are exactly what that traffic makes of them and its Gateways have
/// accepted its current generation; `None` otherwise.
///
/// # Errors
/// [`crate::RouterError::Invalid`] when serin's annotations are unreadable
/// or the owned rules are not there.
pub(crate) fn carried(
    route: &Value,
    owned: &[String],
    backends: &Backends,
) -> Result<Option<Traffic>, crate::RouterError> {
    let obj = Object::new(ROUTER, route);
    if obj.original::<Original>()?.is_none() {
        return Ok(None);
    }
    let Some(traffic) = obj.traffic()? else {
        return Ok(None);
    };
    let (rules, _) = desired(obj, owned, backends, &traffic)?;
    if rules != list(&route["spec"], "rules") {
        return Ok(None);
    }
    let acceptance = acceptance::of(route);
    if !acceptance.in_effect() {
        tracing::debug!(?acceptance, "the route's Gateways have not taken its spec");
        return Ok(None);
    }
    Ok(Some(traffic))
}

/// The rules `route` must have to carry `traffic` — serin's rules first,
/// then the others with the owned weights set — and the owned weights as
/// they are now.
fn desired(
    obj: Object<'_>,
    owned: &[String],
    backends: &Backends,
    traffic: &Traffic,
) -> Result<(Vec<Value>, Recorded), crate::RouterError> {
    let route = obj.value;
    let namespace = route["metadata"]["namespace"].as_str().unwrap_or("");
    let arm_of = |b: &Value| arm(b, namespace, backends);
    let mut rules = owned::theirs(list(&route["spec"], "rules"));
    if let Some(cookie) = &backends.affinity {
        rules.iter_mut().for_each(|r| cookie.strip_rule(r));
    }
    let theirs = rules.len();
    let indices = if owned.is_empty() {
        to_stable(obj, &rules, arm_of, backends)?
    } else {
        owned::named(obj, LAYOUT, &rules, owned)?
    };
    let describe = |arm: Arm| {
        format!(
            "backendRef to the {} Service {}",
            arm_name(arm),
            service(backends, arm)
        )
    };
    let ask = owned::Ask {
        layout: LAYOUT,
        traffic,
        total: backends.total,
        managed: &backends.managed,
    };
    let (mut rules, before) = owned::desired(
        obj,
        rules,
        &indices,
        arm_of,
        describe,
        &ask,
        |rule, name, asked| match asked {
            Added::Header(h) => rules::header_rule(rule, name, &h.matches, arm_of),
            Added::Mirror(m) => rules::mirror_rule(rule, name, m, arm_of),
        },
    )?;
    if let Some(cookie) = &backends.affinity {
        let offset = rules_offset(&rules, theirs);
        sticky(cookie, &mut rules, offset, &indices, traffic, arm_of);
    }
    Ok((rules, before))
}

/// How many rules serin added in front of the `theirs` rules of `rules`.
fn rules_offset(rules: &[Value], theirs: usize) -> usize {
    rules.len().saturating_sub(theirs)
}

/// Session affinity on the owned rules (at `offset + index`): their
/// canary backendRefs set the cookie, and a rule in front keeps the
/// clients that carry it on the canary, while the canary has weight.
fn sticky(
    cookie: &Cookie,
    rules: &mut Vec<Value>,
    offset: usize,
    indices: &[usize],
    traffic: &Traffic,
    arm_of: impl Fn(&Value) -> Option<Arm> + Copy,
) {
    let revision = Cookie::sticky(traffic);
    for &i in indices {
        cookie.set(&mut rules[offset + i], revision, arm_of);
    }
    let Some(revision) = revision else {
        return;
    };
    let front: Vec<Value> = indices
        .iter()
        .enumerate()
        .filter_map(|(n, &i)| {
            let name = managed::rule_name("affinity", n, indices.len());
            cookie.rule(&rules[offset + i], &name, revision, arm_of)
        })
        .collect();
    rules.splice(0..0, front);
}

/// Every rule with a backendRef to the stable Service (what serin owns
/// when the spec names no rule).
fn to_stable(
    obj: Object<'_>,
    rules: &[Value],
    arm_of: impl Fn(&Value) -> Option<Arm>,
    backends: &Backends,
) -> Result<Vec<usize>, crate::RouterError> {
    let found: Vec<usize> = (0..rules.len())
        .filter(|&i| {
            list(&rules[i], "backendRefs")
                .iter()
                .any(|b| arm_of(b) == Some(Arm::Stable))
        })
        .collect();
    if found.is_empty() {
        return Err(obj.invalid(format!(
            "no rule has a backendRef to the stable Service {}",
            backends.stable_service
        )));
    }
    Ok(found)
}

/// The arm a backendRef serves: a Service (no group or the core group, no
/// kind or `Service`) in the Services' namespace (the backendRef's
/// `namespace`, else the route's) named as the stable or canary Service.
fn arm(backend: &Value, route_namespace: &str, backends: &Backends) -> Option<Arm> {
    let core = backend["group"].as_str().is_none_or(str::is_empty);
    let service = backend["kind"].as_str().is_none_or(|k| k == "Service");
    let namespace = backend["namespace"].as_str().unwrap_or(route_namespace);
    if !(core && service && namespace == backends.namespace) {
        return None;
    }
    let name = backend["name"].as_str()?;
    Arm::BOTH
        .into_iter()
        .find(|&a| self::service(backends, a) == name)
}

fn service(backends: &Backends, arm: Arm) -> &str {
    match arm {
        Arm::Stable => &backends.stable_service,
        Arm::Canary => &backends.canary_service,
    }
}

fn arm_name(arm: Arm) -> &'static str {
    match arm {
        Arm::Stable => "stable",
        Arm::Canary => "canary",
    }
}

#[cfg(test)]
mod tests;
