//! The Istio router (`trafficRouting.istio`): VirtualServices
//! (`networking.istio.io/v1`) whose HTTP routes weight a stable and a
//! canary destination, either two hosts (the stable and canary Services)
//! or two subsets of one host, defined by a DestinationRule whose subsets
//! serin points at the revisions. serin sets the weights, adds an HTTP
//! route in front for each header route (the canary destination only) and
//! each mirror route (`mirror` with a `mirrorPercentage`), and takes back
//! exactly what it added.
//!
//! This file does the I/O: read every object, then write the
//! DestinationRule first (its subsets say which pods a weight reaches)
//! and the VirtualServices after, in that order on apply and the reverse on
//! restore. What each object must become is `virtual_service`,
//! `destination_rule` and `routes`, all pure. Objects are JSON through
//! `Api<DynamicObject>` (see `crate::gateway_api::objects`).

mod destination_rule;
mod destinations;
mod routes;
mod virtual_service;

pub use destinations::Destinations;
pub use virtual_service::Weighting;

use futures::FutureExt;
use futures::future::BoxFuture;
use serin_api::RolloutSpec;
use serin_api::status::Traffic;

use crate::gateway_api::objects::Store;
use crate::{RouterError, Target, TrafficRouter, agreed};
use destination_rule::Subsets;
use virtual_service::ROUTER;

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
    virtual_services: Store,
    destination_rules: Store,
    owned: Vec<OwnedVirtualService>,
    weighting: Weighting,
}

impl IstioRouter {
    /// A router for `owned` in the target's namespace.
    pub fn new(target: &Target, owned: Vec<OwnedVirtualService>, weighting: Weighting) -> Self {
        let store = |kind, plural| {
            Store::new(
                target.client.clone(),
                &target.namespace,
                ROUTER,
                ("networking.istio.io", "v1", kind, plural),
            )
        };
        Self {
            virtual_services: store("VirtualService", "virtualservices"),
            destination_rules: store("DestinationRule", "destinationrules"),
            owned,
            weighting,
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

    /// The DestinationRule and its subsets, in the subset form.
    fn subsets(&self) -> Option<(&str, Subsets<'_>)> {
        match &self.weighting.destinations {
            Destinations::Subsets {
                rule,
                stable_subset,
                canary_subset,
            } => Some((
                rule,
                Subsets {
                    stable: stable_subset,
                    canary: canary_subset,
                },
            )),
            Destinations::Hosts { .. } => None,
        }
    }

    async fn apply_traffic(&self, traffic: &Traffic) -> Result<(), RouterError> {
        // Read and plan every object before writing any.
        let rule_patch = match self.subsets() {
            Some((name, subsets)) => {
                let rule = self.destination_rules.get(name).await?;
                Some((
                    name,
                    subsets,
                    destination_rule::apply_patch(&rule, subsets, traffic)?,
                ))
            }
            None => None,
        };
        let mut planned = Vec::with_capacity(self.owned.len());
        for vs in &self.owned {
            let object = self.virtual_services.get(&vs.name).await?;
            planned.push(virtual_service::apply_patch(
                &object,
                &vs.routes,
                &self.weighting,
                traffic,
            )?);
        }
        if let Some((name, subsets, patch)) = rule_patch {
            self.destination_rules
                .write(name, patch, |rule| {
                    destination_rule::apply_patch(rule, subsets, traffic)
                })
                .await?;
        }
        for (vs, patch) in self.owned.iter().zip(planned) {
            tracing::debug!(virtual_service = %vs.name, writes = patch.is_some(), "apply");
            self.virtual_services
                .write(&vs.name, patch, |object| {
                    virtual_service::apply_patch(object, &vs.routes, &self.weighting, traffic)
                })
                .await?;
        }
        Ok(())
    }

    async fn read_traffic(&self) -> Result<Option<Traffic>, RouterError> {
        let mut carried = Vec::with_capacity(self.owned.len() + 1);
        if let Some((name, subsets)) = self.subsets() {
            let rule = self.destination_rules.get(name).await?;
            carried.push(destination_rule::carried(&rule, subsets)?);
        }
        for vs in &self.owned {
            let object = self.virtual_services.get(&vs.name).await?;
            carried.push(virtual_service::carried(
                &object,
                &vs.routes,
                &self.weighting,
            )?);
        }
        Ok(agreed(carried))
    }

    async fn restore_all(&self) -> Result<(), RouterError> {
        for vs in self.owned.iter().rev() {
            // An object deleted since has nothing to give back.
            let Some(object) = self.virtual_services.get_opt(&vs.name).await? else {
                tracing::info!(virtual_service = %vs.name, "restore: the VirtualService is gone");
                continue;
            };
            let restore =
                |o: &serde_json::Value| virtual_service::restore_patch(o, &self.weighting);
            self.virtual_services
                .write(&vs.name, restore(&object)?, restore)
                .await?;
        }
        if let Some((name, _)) = self.subsets()
            && let Some(rule) = self.destination_rules.get_opt(name).await?
        {
            self.destination_rules
                .write(
                    name,
                    destination_rule::restore_patch(&rule)?,
                    destination_rule::restore_patch,
                )
                .await?;
        }
        Ok(())
    }
}

impl TrafficRouter for IstioRouter {
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
