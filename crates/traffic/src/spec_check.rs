//! The route shapes a spec's routers cannot express, known from the spec
//! alone: [`check`] walks the canary's steps with the engine's own walk
//! (`serin_api::routes_in_effect`: a `setHeaderRoute` or `setMirrorRoute`
//! replaces the route of its name, one with no `match` removes it), and
//! for every set of routes that comes to be in effect at once asks each
//! router the spec names the same pure question the router asks before it
//! writes (`nginx::refusals`, `gateway_api::refusals`, `istio::refusals`).
//! Each refusal names the step that set the refused route, so `serin lint`
//! says which field to change, before anything is applied. Pure.
//!
//! What needs the cluster's objects (a rule that already matches the
//! header a route adds, a missing Ingress) is not known here and is still
//! refused by the router when it applies.

use std::fmt;

use serin_api::RolloutSpec;
use serin_api::routes_in_effect::RoutesInEffect;
use serin_api::status::Traffic;

use crate::refusal::{Refusals, RouteRef, RouteRefusal};
use crate::{gateway_api, istio, nginx};

/// A field of a spec one of its routers cannot express.
/// Displays as `spec.strategy.canary.steps[2].setMirrorRoute: is a mirror
/// route; ...`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecRefusal {
    /// The router (`nginx`, `gatewayAPI`, `istio`).
    pub router: &'static str,
    /// The field's path from the document's root.
    pub path: String,
    /// What the router cannot do, for a person.
    pub rule: String,
}

impl fmt::Display for SpecRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.rule)
    }
}

/// The routers of `spec` that have limits of their own, with their
/// questions.
fn routers(spec: &RolloutSpec) -> Vec<(&'static str, Refusals)> {
    let Some(routing) = spec
        .strategy
        .canary
        .as_ref()
        .and_then(|c| c.traffic_routing.as_ref())
    else {
        return Vec::new();
    };
    let mut out: Vec<(&'static str, Refusals)> = Vec::new();
    if routing.nginx.is_some() {
        out.push(("nginx", nginx::refusals));
    }
    if routing.gateway_api.is_some() {
        out.push(("gatewayAPI", gateway_api::refusals));
    }
    if routing.istio.is_some() {
        out.push(("istio", istio::refusals));
    }
    out
}

/// Every field of `spec` its routers cannot express, each once, in the
/// order of the steps. Empty when there is none (and for a spec without
/// a router that has limits).
pub fn check(spec: &RolloutSpec) -> Vec<SpecRefusal> {
    let routers = routers(spec);
    let Some(canary) = spec.strategy.canary.as_ref() else {
        return Vec::new();
    };
    if routers.is_empty() {
        return Vec::new();
    }
    let mut out: Vec<SpecRefusal> = Vec::new();
    let mut in_effect = InEffect::default();
    for (i, step) in canary.effective_steps().iter().enumerate() {
        if !in_effect.0.step(i, step.kind()) {
            continue;
        }
        let traffic = in_effect.traffic();
        for (router, refusals) in &routers {
            for r in refusals(&traffic) {
                let found = in_effect.refusal(router, r);
                if !out.contains(&found) {
                    out.push(found);
                }
            }
        }
    }
    out
}

/// The routes in effect after a step ([`RoutesInEffect`], the engine's
/// walk), as a router sees them and as the fields that set them.
#[derive(Default)]
struct InEffect(RoutesInEffect);

impl InEffect {
    /// A traffic carrying the routes in effect.
    fn traffic(&self) -> Traffic {
        Traffic {
            header_routes: self.0.header_routes(),
            mirror_routes: self.0.mirror_routes(),
            ..Traffic::default()
        }
    }

    /// `r` as the field of the step that set the refused route.
    fn refusal(&self, router: &'static str, r: RouteRefusal) -> SpecRefusal {
        let (step, field) = match r.route {
            RouteRef::Header(k) => (self.0.header_step(k), "setHeaderRoute"),
            RouteRef::Mirror(k) => (self.0.mirror_step(k), "setMirrorRoute"),
        };
        let mut path = format!(
            "spec.strategy.canary.steps[{}].{field}",
            step.unwrap_or_default()
        );
        if !r.field.is_empty() {
            path = format!("{path}.{}", r.field);
        }
        SpecRefusal {
            router,
            path,
            rule: r.why,
        }
    }
}

#[cfg(test)]
mod tests;
