//! The Service router: plain Kubernetes Services pointed at revisions by
//! one selector key, [`serin_api::k8s::POD_TEMPLATE_HASH_LABEL`], as Argo Rollouts does
//! with `rollouts-pod-template-hash`. Blue-green's `activeService` and
//! `previewService`, canary's `stableService` and `canaryService`; which
//! revision each selects is [`Role::revision`].
//!
//! This file does the I/O (read, write, retry on conflict, order); what a
//! Service must become is computed by the pure `plan` module, the part a
//! Service plays by [`Role`]. `docs/traffic.md` explains what is written,
//! what is restored, and why the order keeps every Service serving.

mod plan;
mod role;

pub use role::Role;

use k8s_openapi::api::core::v1::Service;
use kube::api::Api;
use serde_json::Value;
use serin_api::RolloutSpec;
use serin_api::status::Traffic;

use crate::conflict::{Named, patch_retrying};
use crate::{RouterError, Target, agreed};

/// A Service the router owns, and the part it plays.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnedService {
    /// Its part, which says which revision it selects.
    pub role: Role,
    /// Its name, in the rollout's namespace.
    pub name: String,
}

/// The Services a spec names, in the order they are written (production
/// first); empty when it names none.
pub fn owned_services(spec: &RolloutSpec) -> Vec<OwnedService> {
    let bg = spec.strategy.blue_green.as_ref();
    let canary = spec.strategy.canary.as_ref();
    let mut owned: Vec<OwnedService> = [
        (Role::Active, bg.and_then(|b| b.active_service.as_deref())),
        (Role::Preview, bg.and_then(|b| b.preview_service.as_deref())),
        (
            Role::Stable,
            canary.and_then(|c| c.stable_service.as_deref()),
        ),
        (
            Role::Canary,
            canary.and_then(|c| c.canary_service.as_deref()),
        ),
    ]
    .into_iter()
    .filter_map(|(role, name)| {
        let name = name.filter(|n| !n.is_empty())?;
        Some(OwnedService {
            role,
            name: name.to_string(),
        })
    })
    .collect();
    owned.sort_by_key(|s| s.role);
    owned
}

/// Points the Services of one rollout at revisions.
pub struct ServiceRouter {
    target: Target,
    services: Vec<OwnedService>,
}

impl ServiceRouter {
    /// A router for these Services, written production first whatever the
    /// order given.
    pub fn new(target: Target, mut services: Vec<OwnedService>) -> Self {
        services.sort_by_key(|s| s.role);
        Self { target, services }
    }

    /// The router for the Services `spec` names; `None` when it names none.
    pub fn for_spec(target: Target, spec: &RolloutSpec) -> Option<Self> {
        let services = owned_services(spec);
        (!services.is_empty()).then(|| Self::new(target, services))
    }

    /// The Services it owns, in write order.
    pub fn services(&self) -> &[OwnedService] {
        &self.services
    }

    async fn apply_traffic(&self, traffic: &Traffic) -> Result<(), RouterError> {
        // Read and check every Service before writing any, so that a
        // missing Service or a broken annotation stops the change before
        // any Service has moved.
        let mut planned = Vec::with_capacity(self.services.len());
        for s in &self.services {
            let svc = self.get(&s.name).await?;
            planned.push(plan::apply_patch(&svc, s.role.revision(traffic), traffic)?);
        }
        for (s, patch) in self.services.iter().zip(planned) {
            let revision = s.role.revision(traffic);
            tracing::debug!(service = %s.name, role = ?s.role, ?revision, writes = patch.is_some(), "apply");
            self.write(&s.name, patch, |svc| {
                plan::apply_patch(svc, revision, traffic)
            })
            .await?;
        }
        Ok(())
    }

    async fn read_traffic(&self) -> Result<Option<Traffic>, RouterError> {
        // Every Service is read, so that a missing or broken one is an
        // error rather than hidden behind an earlier `None`.
        let mut carried = Vec::with_capacity(self.services.len());
        for s in &self.services {
            carried.push(plan::carried(&self.get(&s.name).await?, s.role)?);
        }
        Ok(agreed(carried))
    }

    async fn restore_all(&self) -> Result<(), RouterError> {
        for s in self.services.iter().rev() {
            // A Service deleted since has nothing left to give back; failing
            // here would hold the rollout's finalizer for ever.
            let Some(svc) = self.api().get_opt(&s.name).await.map_err(api_error)? else {
                tracing::info!(service = %s.name, "restore: the Service is gone");
                continue;
            };
            self.write(&s.name, plan::restore_patch(&svc)?, plan::restore_patch)
                .await?;
        }
        Ok(())
    }

    /// Sends `patch`, made again with `make` from a fresh read on a
    /// conflict (see [`patch_retrying`]). `None` writes nothing.
    async fn write(
        &self,
        name: &str,
        patch: Option<Value>,
        make: impl Fn(&Service) -> Result<Option<Value>, RouterError>,
    ) -> Result<(), RouterError> {
        let read = || self.get(name);
        patch_retrying(&self.api(), &self.named(), name, patch, read, make).await
    }

    async fn get(&self, name: &str) -> Result<Service, RouterError> {
        self.api()
            .get_opt(name)
            .await
            .map_err(api_error)?
            .ok_or_else(|| self.not_found(name))
    }

    fn api(&self) -> Api<Service> {
        Api::namespaced(self.target.client.clone(), &self.target.namespace)
    }

    fn named(&self) -> Named {
        Named {
            router: plan::ROUTER,
            kind: "Service",
            namespace: self.target.namespace.clone(),
        }
    }

    fn not_found(&self, name: &str) -> RouterError {
        self.named().not_found(name)
    }
}

traffic_router!(ServiceRouter, plan::ROUTER);

fn api_error(source: kube::Error) -> RouterError {
    RouterError::Api {
        router: plan::ROUTER,
        source,
    }
}
