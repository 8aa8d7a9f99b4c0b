//! serin's traffic routers on Kubernetes. Every router implements the one
//! small [`TrafficRouter`] trait — make the routing objects carry a
//! [`Traffic`], read back what they carry, give them back as they were —
//! and lives in its own module. [`Routers`] holds the routers of one
//! rollout, applies them in order and combines their read-backs; the
//! controller knows nothing of any router's objects.
//!
//! A router touches only what serin added to an object (a selector key, an
//! annotation, a rule, a weight it owns) and records what it found before in
//! the [`serin_api::k8s::ORIGINAL_ANNOTATION`], so that
//! [`TrafficRouter::restore`] puts the object back.

#[macro_use]
mod macros;
mod conflict;
mod error;
pub mod gateway_api;
pub mod istio;
pub mod nginx;
mod refusal;
pub mod service;
pub mod spec_check;

pub use error::RouterError;
pub use refusal::{RouteRef, RouteRefusal};
pub use spec_check::SpecRefusal;

use futures::future::BoxFuture;
use serin_api::status::Traffic;

/// The rollout a router works for.
#[derive(Clone)]
pub struct Target {
    /// The client to the cluster.
    pub client: kube::Client,
    /// The rollout's namespace (every object a router touches is in it).
    pub namespace: String,
    /// The rollout's name.
    pub rollout: String,
}

/// One way of sending traffic to the versions of a rollout.
pub trait TrafficRouter: Send + Sync {
    /// A short name for status messages and logs (`service`, `nginx`, ...).
    fn name(&self) -> &'static str;

    /// Makes the routing objects carry `traffic` (revisions are
    /// pod-template hashes). Applying the same traffic twice changes nothing.
    fn apply<'a>(&'a self, traffic: &'a Traffic) -> BoxFuture<'a, Result<(), RouterError>>;

    /// The traffic the routing objects carry now; `None` when serin has not
    /// written them yet (or they no longer say what serin wrote).
    fn read_back(&self) -> BoxFuture<'_, Result<Option<Traffic>, RouterError>>;

    /// Puts the objects back as they were before serin touched them. Called
    /// once all traffic is on stable, when the rollout is deleted.
    fn restore(&self) -> BoxFuture<'_, Result<(), RouterError>>;
}

/// The routers of one rollout, in the order they are applied.
#[derive(Default)]
pub struct Routers {
    routers: Vec<Box<dyn TrafficRouter>>,
}

impl Routers {
    /// These routers, applied in this order.
    pub fn new(routers: Vec<Box<dyn TrafficRouter>>) -> Self {
        Self { routers }
    }

    /// Whether there is no router at all (a canary split by replica ratio
    /// with no Service to point): the traffic asked for is in effect once
    /// the replicas are.
    pub fn is_empty(&self) -> bool {
        self.routers.is_empty()
    }

    /// The routers' names, in order.
    pub fn names(&self) -> Vec<&'static str> {
        self.routers.iter().map(|r| r.name()).collect()
    }

    /// Applies `traffic` with every router in turn; stops at the first error.
    ///
    /// # Errors
    /// The first router that failed, named.
    pub async fn apply(&self, traffic: &Traffic) -> Result<(), RouterError> {
        for r in &self.routers {
            r.apply(traffic).await?;
        }
        Ok(())
    }

    /// The traffic every router agrees is in effect; `None` when there is no
    /// router, when one holds nothing yet, or when they disagree (a change
    /// half made).
    ///
    /// # Errors
    /// A router could not read its objects.
    pub async fn read_back(&self) -> Result<Option<Traffic>, RouterError> {
        let mut each = Vec::with_capacity(self.routers.len());
        for r in &self.routers {
            let Some(t) = r.read_back().await? else {
                return Ok(None);
            };
            each.push(Some(t));
        }
        Ok(agreed(each))
    }

    /// Restores every router's objects, in reverse order.
    ///
    /// # Errors
    /// The first router that failed.
    pub async fn restore(&self) -> Result<(), RouterError> {
        for r in self.routers.iter().rev() {
            r.restore().await?;
        }
        Ok(())
    }
}

/// The routers `spec` needs, in the order they are applied: today the
/// [`service::ServiceRouter`] when the spec names any Service
/// (`activeService`, `previewService`, `stableService`, `canaryService`),
/// then the [`nginx::NginxRouter`] for `canary.trafficRouting.nginx`, the
/// [`gateway_api::GatewayApiRouter`] for `gatewayAPI` and the
/// [`istio::IstioRouter`] for `istio`; none otherwise (a canary then
/// splits by replica ratio).
pub fn for_rollout(target: Target, spec: &serin_api::RolloutSpec) -> Routers {
    let mut routers: Vec<Box<dyn TrafficRouter>> = Vec::new();
    if let Some(router) = service::ServiceRouter::for_spec(target.clone(), spec) {
        routers.push(Box::new(router));
    }
    if let Some(router) = nginx::NginxRouter::for_spec(target.clone(), spec) {
        routers.push(Box::new(router));
    }
    if let Some(router) = gateway_api::GatewayApiRouter::for_spec(&target, spec) {
        routers.push(Box::new(router));
    }
    if let Some(router) = istio::IstioRouter::for_spec(&target, spec) {
        routers.push(Box::new(router));
    }
    Routers::new(routers)
}

/// The one traffic all of `each` report; `None` when there is none, when
/// one reports nothing, or when two differ.
pub(crate) fn agreed(each: impl IntoIterator<Item = Option<Traffic>>) -> Option<Traffic> {
    let mut agreed: Option<Traffic> = None;
    for t in each {
        let t = t?;
        match &agreed {
            Some(a) if *a != t => return None,
            _ => agreed = Some(t),
        }
    }
    agreed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on(stable: &str) -> Option<Traffic> {
        Some(Traffic {
            stable: Some(stable.into()),
            ..Traffic::default()
        })
    }

    #[test]
    fn routers_agree_only_when_all_report_the_same_traffic() {
        assert_eq!(agreed([on("a"), on("a")]), on("a"));
        assert_eq!(agreed([on("a"), on("b")]), None);
        assert_eq!(agreed([on("a"), None]), None);
        assert_eq!(agreed([]), None, "no router reports nothing");
    }
}
