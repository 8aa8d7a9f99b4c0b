//! The Gateway API router (`trafficRouting.gatewayAPI`): HTTPRoutes
//! (`gateway.networking.k8s.io/v1`) whose rules send traffic to the stable
//! and canary Services by `backendRefs` weights. serin sets those weights,
//! adds a rule in front for each header route (the canary Service only)
//! and for each mirror route (a `RequestMirror` filter with a `percent`),
//! and takes back exactly what it added.
//!
//! This file does the I/O (read every route, then write each, retrying on
//! a conflict); what a route must become is the pure `plan` module, the
//! added rules are `rules`, and whether a Gateway has taken a route's
//! current spec is `acceptance`. Routes are read and written as JSON
//! (`objects`), with no Rust type of their own: every field serin does not
//! own goes back to the server as it came. `docs/traffic.md` says what is
//! written and restored.

mod acceptance;
mod affinity;
pub(crate) mod managed;
pub(crate) mod objects;
pub(crate) mod owned;
mod plan;

mod rules;
pub(crate) mod weights;

pub use affinity::Cookie;
pub use plan::Backends;

use futures::FutureExt;
use futures::future::BoxFuture;
use serin_api::RolloutSpec;
use serin_api::status::Traffic;

use crate::{RouterError, Target, TrafficRouter, agreed};
use objects::Store;
use plan::ROUTER;

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
    store: Store,
    routes: Vec<OwnedRoute>,
    backends: Backends,
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
        Self {
            store,
            routes,
            backends,
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

    async fn apply_traffic(&self, traffic: &Traffic) -> Result<(), RouterError> {
        // Read and plan every route before writing any: a missing route or
        // a rule that is not there stops the change before anything moved.
        let mut planned = Vec::with_capacity(self.routes.len());
        for r in &self.routes {
            let route = self.store.get(&r.name).await?;
            planned.push(plan::apply_patch(
                &route,
                &r.rules,
                &self.backends,
                traffic,
            )?);
        }
        for (r, patch) in self.routes.iter().zip(planned) {
            tracing::debug!(route = %r.name, writes = patch.is_some(), "apply");
            self.store
                .write(&r.name, patch, |route| {
                    plan::apply_patch(route, &r.rules, &self.backends, traffic)
                })
                .await?;
        }
        Ok(())
    }

    async fn read_traffic(&self) -> Result<Option<Traffic>, RouterError> {
        let mut carried = Vec::with_capacity(self.routes.len());
        for r in &self.routes {
            let route = self.store.get(&r.name).await?;
            carried.push(plan::carried(&route, &r.rules, &self.backends)?);
        }
        Ok(agreed(carried))
    }

    async fn restore_all(&self) -> Result<(), RouterError> {
        for r in self.routes.iter().rev() {
            // A route deleted since has nothing to give back; failing here
            // would hold the rollout's finalizer for ever.
            let Some(route) = self.store.get_opt(&r.name).await? else {
                tracing::info!(route = %r.name, "restore: the HTTPRoute is gone");
                continue;
            };
            let restore = |route: &serde_json::Value| plan::restore_patch(route, &self.backends);
            self.store.write(&r.name, restore(&route)?, restore).await?;
        }
        Ok(())
    }
}

impl TrafficRouter for GatewayApiRouter {
    fn name(&self) -> &'static str {
        ROUTER
    }

    fn apply<'a>(&'a self, traffic: &'a Traffic) -> BoxFuture<'a, Result<(), RouterError>> {
        self.apply_traffic(traffic).boxed()
    }

    fn read_back(&self) -> BoxFuture<'_, Result<Option<Traffic>, RouterError>> {
        self.read_traffic().boxed()
    }

    fn restore(&self) -> BoxFuture<'_, Result<(), RouterError>> {
        self.restore_all().boxed()
    }
}
