//! The Gateway API router (`trafficRouting.gatewayAPI`): HTTPRoutes
//! (`gateway.networking.k8s.io/v1`) whose rules send traffic to the stable
//! and canary Services by `backendRefs` weights. serin sets those weights,
//! adds a rule in front for each header route (the canary Service only)
//! and for each mirror route (a `RequestMirror` filter with a `percent`),
//! and takes back exactly what it added.
//!
//! This file turns the spec into the routes serin drives; the I/O (read
//! every route, then write each, retrying on a conflict; restore in
//! reverse) is `planned`, shared with the Istio router. What a route must
//! become is the pure `plan` module, the added rules are `rules` and
//! `affinity`, and whether a Gateway has taken a route's current spec is
//! `acceptance`. Routes are read and written as JSON (`objects`), with no
//! Rust type of their own: every field serin does not own goes back to the
//! server as it came. `docs/traffic.md` says what is written and restored.

pub(crate) mod acceptance;
mod affinity;
pub(crate) mod managed;
pub(crate) mod objects;
pub(crate) mod owned;
mod plan;
pub(crate) mod planned;

mod rules;
pub(crate) mod shapes;
pub(crate) mod weights;

pub use affinity::Cookie;
pub use plan::Backends;
pub use shapes::refusals;

use std::sync::Arc;

use serin_api::RolloutSpec;

use crate::Target;
use objects::Store;
use plan::{ROUTER, RoutePlan};
use planned::{Objects, Owned};

/// An HTTPRoute the router drives and the rules in it serin owns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnedRoute {
    /// The HTTPRoute's name.
    pub name: String,
    /// The names of the rules whose weights serin sets; empty: every rule
    /// with a backendRef to the stable Service.
    pub rules: Vec<String>,
}

/// Sets the weights of HTTPRoutes.
pub struct GatewayApiRouter {
    objects: Objects,
    routes: Vec<OwnedRoute>,
}

impl GatewayApiRouter {
    /// A router for `routes` in `namespace`.
    pub fn new(
        target: &Target,
        namespace: &str,
        routes: Vec<OwnedRoute>,
        backends: Backends,
    ) -> Self {
        let store = Store::new(
            target.client.clone(),
            namespace,
            ROUTER,
            ("gateway.networking.k8s.io", "v1", "HTTPRoute", "httproutes"),
        );
        let backends = Arc::new(backends);
        let objects = routes
            .iter()
            .map(|r| Owned {
                store: store.clone(),
                name: r.name.clone(),
                plan: Box::new(RoutePlan {
                    rules: r.rules.clone(),
                    backends: Arc::clone(&backends),
                }),
            })
            .collect();
        Self {
            objects: Objects::new(objects).refusing(ROUTER, refusals),
            routes,
        }
    }

    /// The router `spec`'s `canary.trafficRouting.gatewayAPI` asks for;
    /// `None` when it names no route, or the canary has no stable and
    /// canary Services (validation requires both with a router).
    pub fn for_spec(target: &Target, spec: &RolloutSpec) -> Option<Self> {
        let canary = spec.strategy.canary.as_ref()?;
        let routing = canary.traffic_routing.as_ref()?;
        let gateway = routing.gateway_api.as_ref()?;
        let mut routes: Vec<OwnedRoute> = gateway
            .http_route
            .iter()
            .map(|name| OwnedRoute {
                name: name.clone(),
                rules: Vec::new(),
            })
            .collect();
        routes.extend(gateway.http_routes.iter().map(|r| OwnedRoute {
            name: r.name.clone(),
            rules: r.rules.clone(),
        }));
        if routes.is_empty() {
            return None;
        }
        let backends = Backends {
            stable_service: canary.stable_service.clone()?,
            canary_service: canary.canary_service.clone()?,
            namespace: target.namespace.clone(),
            total: routing.max_traffic_weight.unwrap_or(100),
            managed: routing
                .managed_routes
                .iter()
                .map(|r| r.name.clone())
                .collect(),
            affinity: canary.session_affinity.as_ref().map(Cookie::of),
        };
        let namespace = gateway.namespace.as_deref().unwrap_or(&target.namespace);
        Some(Self::new(target, namespace, routes, backends))
    }

    /// The routes it drives, in write order.
    pub fn routes(&self) -> &[OwnedRoute] {
        &self.routes
    }
}

traffic_router!(GatewayApiRouter, ROUTER, objects);
