//! The NGINX Ingress router (`canary.trafficRouting.nginx`), as Argo
//! Rollouts does it: for each stable Ingress a canary Ingress
//! `<stable>-<rollout>-canary`, cloned from it and kept in sync, whose
//! ingress-nginx canary annotations carry the canary's weight and header
//! routes. The stable Ingress is never modified.
//!
//! This file does the I/O (read, create, patch, retry on conflict, delete);
//! what each canary Ingress must be is computed by the pure `plan` module,
//! its annotations by `annotations`, what the spec says by `config`.
//! `docs/traffic.md` explains what is written, what NGINX cannot express,
//! and what is restored.

mod annotations;
mod config;
mod plan;
mod rules;
#[cfg(test)]
mod testing;

pub use config::{DEFAULT_PREFIX, NginxConfig, canary_name};
pub use rules::refusals;

use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::Resource;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams, Preconditions};
use serin_api::k8s::FIELD_MANAGER;
use serin_api::status::Traffic;
use serin_api::{Rollout, RolloutSpec};

use crate::conflict::ATTEMPTS;
use crate::{RouterError, Target, agreed};

/// The router's name, in errors and logs.
pub(crate) const ROUTER: &str = "nginx";

/// Sends a rollout's canary traffic through ingress-nginx canary Ingresses.
pub struct NginxRouter {
    target: Target,
    config: NginxConfig,
}

/// One stable Ingress and its canary.
struct Pair {
    stable: Ingress,
    canary: Option<Ingress>,
    canary_name: String,
}

impl NginxRouter {
    /// A router for `config`.
    pub fn new(target: Target, config: NginxConfig) -> Self {
        Self { target, config }
    }

    /// The router `spec` needs; `None` when it has no
    /// `canary.trafficRouting.nginx`.
    pub fn for_spec(target: Target, spec: &RolloutSpec) -> Option<Self> {
        NginxConfig::from_spec(spec).map(|config| Self::new(target, config))
    }

    /// What it read of the spec.
    pub fn config(&self) -> &NginxConfig {
        &self.config
    }

    /// The canary Ingresses it makes, one per stable Ingress, in order.
    pub fn canary_names(&self) -> Vec<String> {
        self.config
            .stable_ingresses
            .iter()
            .map(|s| canary_name(s, &self.target.rollout))
            .collect()
    }

    async fn apply_traffic(&self, traffic: &Traffic) -> Result<(), RouterError> {
        crate::refusal::refuse(ROUTER, traffic, refusals(traffic))?;
        // Read every Ingress and plan every write before making any, so
        // that a missing stable Ingress or a traffic NGINX cannot express
        // stops the change before any canary Ingress has moved.
        let pairs = self.read_pairs().await?;
        let mut planned = Vec::with_capacity(pairs.len());
        for p in &pairs {
            let want = plan::desired(
                &self.config,
                &self.target.rollout,
                &p.canary_name,
                &p.stable,
                traffic,
            )?;
            let write = plan::write(&self.config, &want, p.canary.as_ref())?;
            planned.push((want, write));
        }
        let mut owner = None;
        for (want, write) in planned {
            tracing::debug!(ingress = %want.name, weight = traffic.canary_weight, writes = write.is_some(), "apply");
            self.write(&want, write, &mut owner).await?;
        }
        Ok(())
    }

    async fn read_traffic(&self) -> Result<Option<Traffic>, RouterError> {
        // Every pair is read, so that a missing or broken one is an error
        // rather than hidden behind an earlier `None`.
        let mut carried = Vec::new();
        for p in self.read_pairs().await? {
            carried.push(plan::carried(
                &self.config,
                &self.target.rollout,
                &p.stable,
                p.canary.as_ref(),
            )?);
        }
        Ok(agreed(carried))
    }

    async fn restore_all(&self) -> Result<(), RouterError> {
        for name in self.canary_names().iter().rev() {
            let Some(canary) = self.api().get_opt(name).await.map_err(api_error)? else {
                continue;
            };
            if !plan::is_ours(&canary, &self.target.rollout) {
                tracing::warn!(ingress = %name, "restore: not serin's; left alone");
                continue;
            }
            let params = DeleteParams {
                preconditions: Some(Preconditions {
                    uid: canary.metadata.uid.clone(),
                    resource_version: None,
                }),
                ..DeleteParams::default()
            };
            match self.api().delete(name, &params).await {
                Ok(_) => {}
                Err(kube::Error::Api(status)) if status.is_not_found() => {}
                Err(source) => return Err(api_error(source)),
            }
        }
        Ok(())
    }

    /// Makes `write`; on a conflict (someone created or changed the canary
    /// Ingress after our read, or deleted it), reads it again, plans again
    /// and tries again, at most [`ATTEMPTS`] times in all.
    async fn write(
        &self,
        want: &plan::Desired,
        mut write: Option<plan::Write>,
        owner: &mut Option<OwnerReference>,
    ) -> Result<(), RouterError> {
        let mut attempt = 1;
        while let Some(w) = write {
            let result = match w {
                plan::Write::Create(mut ingress) => {
                    if owner.is_none() {
                        *owner = Some(self.owner().await?);
                    }
                    ingress.metadata.owner_references = owner.clone().map(|o| vec![o]);
                    self.api()
                        .create(&self.post_params(), &ingress)
                        .await
                        .map(drop)
                }
                plan::Write::Patch(body) => self
                    .api()
                    .patch(&want.name, &self.patch_params(), &Patch::Merge(&body))
                    .await
                    .map(drop),
            };
            match result {
                Ok(()) => return Ok(()),
                Err(kube::Error::Api(s))
                    if (s.is_conflict() || s.is_already_exists() || s.is_not_found())
                        && attempt < ATTEMPTS =>
                {
                    attempt += 1;
                    tracing::debug!(ingress = %want.name, attempt, "conflict; reading again");
                    let current = self.api().get_opt(&want.name).await.map_err(api_error)?;
                    write = plan::write(&self.config, want, current.as_ref())?;
                }
                Err(source) => return Err(api_error(source)),
            }
        }
        Ok(())
    }

    /// Every stable Ingress and its canary, as they are now.
    async fn read_pairs(&self) -> Result<Vec<Pair>, RouterError> {
        let mut pairs = Vec::with_capacity(self.config.stable_ingresses.len());
        for stable_name in &self.config.stable_ingresses {
            let stable = self
                .api()
                .get_opt(stable_name)
                .await
                .map_err(api_error)?
                .ok_or_else(|| self.not_found("Ingress", stable_name))?;
            let canary_name = canary_name(stable_name, &self.target.rollout);
            let canary = self.api().get_opt(&canary_name).await.map_err(api_error)?;
            pairs.push(Pair {
                stable,
                canary,
                canary_name,
            });
        }
        Ok(pairs)
    }

    /// The owner reference a canary Ingress gets: the Rollout, as its
    /// controller, so that deleting the Rollout without serin's finalizer
    /// still lets the garbage collector take its canary Ingresses.
    async fn owner(&self) -> Result<OwnerReference, RouterError> {
        let rollouts: Api<Rollout> =
            Api::namespaced(self.target.client.clone(), &self.target.namespace);
        let rollout = rollouts
            .get_metadata_opt(&self.target.rollout)
            .await
            .map_err(api_error)?
            .ok_or_else(|| self.not_found("Rollout", &self.target.rollout))?;
        let uid = rollout
            .metadata
            .uid
            .clone()
            .ok_or_else(|| RouterError::Invalid {
                router: ROUTER,
                message: format!(
                    "Rollout {}/{} has no uid to own its canary Ingresses",
                    self.target.namespace, self.target.rollout
                ),
            })?;
        Ok(OwnerReference {
            api_version: Rollout::api_version(&()).into_owned(),
            kind: Rollout::kind(&()).into_owned(),
            name: self.target.rollout.clone(),
            uid,
            controller: Some(true),
            block_owner_deletion: Some(true),
        })
    }

    fn api(&self) -> Api<Ingress> {
        Api::namespaced(self.target.client.clone(), &self.target.namespace)
    }

    fn post_params(&self) -> PostParams {
        PostParams {
            field_manager: Some(FIELD_MANAGER.to_string()),
            ..PostParams::default()
        }
    }

    fn patch_params(&self) -> PatchParams {
        PatchParams {
            field_manager: Some(FIELD_MANAGER.to_string()),
            ..PatchParams::default()
        }
    }

    fn not_found(&self, kind: &'static str, name: &str) -> RouterError {
        RouterError::NotFound {
            router: ROUTER,
            kind,
            namespace: self.target.namespace.clone(),
            name: name.to_string(),
        }
    }
}

traffic_router!(NginxRouter, ROUTER);

fn api_error(source: kube::Error) -> RouterError {
    RouterError::Api {
        router: ROUTER,
        source,
    }
}
