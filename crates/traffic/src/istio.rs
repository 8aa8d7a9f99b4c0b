//! The Istio router (`trafficRouting.istio`): VirtualServices
//! (`networking.istio.io/v1`) whose HTTP routes weight a stable and a
//! canary destination, either two hosts (the stable and canary Services)
//! or two subsets of one host, defined by a DestinationRule whose subsets
//! serin points at the revisions. serin sets the weights, adds an HTTP
//! route in front for each header route (the canary destination only) and
//! each mirror route (`mirror` with a `mirrorPercentage`), and takes back
//! exactly what it added.
//!
//! This file turns the spec into the objects serin drives, in write order:
//! the DestinationRule first (its subsets say which pods a weight
//! reaches), then the VirtualServices; restore goes the other way. The I/O
//! is `crate::gateway_api::planned`, shared with the Gateway API router.
//! What each object must become is `virtual_service`, `destination_rule`
//! and `routes`, all pure. Objects are JSON through `Api<DynamicObject>`
//! (see `crate::gateway_api::objects`).

mod destination_rule;
mod destinations;
mod reconciled;
mod routes;
mod shapes;
mod virtual_service;

pub use destinations::Destinations;
pub use shapes::refusals;
pub use virtual_service::Weighting;

use std::sync::Arc;

use serin_api::RolloutSpec;

use crate::Target;
use crate::gateway_api::objects::Store;
use crate::gateway_api::planned::{Objects, Owned};
use destination_rule::Subsets;
use virtual_service::{ROUTER, VirtualServicePlan};

/// A VirtualService the router drives and the HTTP routes in it serin owns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnedVirtualService {
    /// The VirtualService's name.
    pub name: String,
    /// The names of the HTTP routes whose weights serin sets; empty: the
    /// VirtualService's only HTTP route.
    pub routes: Vec<String>,
}

/// Sets the weights of VirtualServices (and the subsets of a
/// DestinationRule).
pub struct IstioRouter {
    objects: Objects,
    owned: Vec<OwnedVirtualService>,
}

impl IstioRouter {
    /// A router for `owned` in the target's namespace: the DestinationRule
    /// first in the subset form, then the VirtualServices.
    pub fn new(target: &Target, owned: Vec<OwnedVirtualService>, weighting: Weighting) -> Self {
        let store = |kind, plural| {
            Store::new(
                target.client.clone(),
                &target.namespace,
                ROUTER,
                ("networking.istio.io", "v1", kind, plural),
            )
        };
        let mut objects = Vec::with_capacity(owned.len() + 1);
        if let Destinations::Subsets {
            rule,
            stable_subset,
            canary_subset,
        } = &weighting.destinations
        {
            objects.push(Owned {
                store: store("DestinationRule", "destinationrules"),
                name: rule.clone(),
                plan: Box::new(Subsets {
                    stable: stable_subset.clone(),
                    canary: canary_subset.clone(),
                }),
            });
        }
        let virtual_services = store("VirtualService", "virtualservices");
        let weighting = Arc::new(weighting);
        objects.extend(owned.iter().map(|vs| Owned {
            store: virtual_services.clone(),
            name: vs.name.clone(),
            plan: Box::new(VirtualServicePlan {
                routes: vs.routes.clone(),
                weighting: Arc::clone(&weighting),
            }),
        }));
        Self {
            objects: Objects::new(objects).refusing(ROUTER, refusals),
            owned,
        }
    }

    /// The router `spec`'s `canary.trafficRouting.istio` asks for; `None`
    /// when it names no VirtualService, or (host form) the canary has no
    /// stable and canary Services (validation requires both with a router).
    pub fn for_spec(target: &Target, spec: &RolloutSpec) -> Option<Self> {
        let canary = spec.strategy.canary.as_ref()?;
        let routing = canary.traffic_routing.as_ref()?;
        let istio = routing.istio.as_ref()?;
        let owned: Vec<OwnedVirtualService> = istio
            .virtual_service
            .iter()
            .chain(&istio.virtual_services)
            .map(|vs| OwnedVirtualService {
                name: vs.name.clone(),
                routes: vs.routes.clone(),
            })
            .collect();
        if owned.is_empty() {
            return None;
        }
        let destinations = match &istio.destination_rule {
            Some(dr) => Destinations::Subsets {
                rule: dr.name.clone(),
                stable_subset: dr.stable_subset_name.clone(),
                canary_subset: dr.canary_subset_name.clone(),
            },
            None => Destinations::Hosts {
                stable_service: canary.stable_service.clone()?,
                canary_service: canary.canary_service.clone()?,
            },
        };
        let weighting = Weighting {
            destinations,
            total: routing.max_traffic_weight.unwrap_or(100),
            managed: routing
                .managed_routes
                .iter()
                .map(|r| r.name.clone())
                .collect(),
        };
        Some(Self::new(target, owned, weighting))
    }

    /// The VirtualServices it drives, in write order.
    pub fn virtual_services(&self) -> &[OwnedVirtualService] {
        &self.owned
    }
}

traffic_router!(IstioRouter, ROUTER, objects);
