//! The I/O both the Gateway API and Istio routers do, once: a list of
//! objects, each with the pure [`Plan`] that says what it must become.
//! [`Objects`] reads and plans every object before writing any (a missing
//! object or a broken record stops a change before anything moved), writes
//! them in order, reads back the traffic they all agree on, and restores
//! them in reverse order, skipping an object deleted since (it has nothing
//! to give back, and failing would hold the rollout's finalizer for ever).
//! A traffic the router cannot express whatever its objects hold (its
//! `refusals`) is refused before any object is read.

use serde_json::Value;
use serin_api::status::Traffic;

use super::objects::Store;
use crate::refusal::{Refusals, refuse};
use crate::{RouterError, agreed};

/// What one object must become; pure.
pub(crate) trait Plan: Send + Sync {
    /// The merge patch that makes `object` carry `traffic`; `None` when it
    /// already does.
    fn apply_patch(&self, object: &Value, traffic: &Traffic) -> Result<Option<Value>, RouterError>;
    /// The merge patch that gives `object` back as serin found it; `None`
    /// when serin never wrote it.
    fn restore_patch(&self, object: &Value) -> Result<Option<Value>, RouterError>;
    /// The traffic `object` carries; `None` when serin has not written it
    /// or it no longer says what serin wrote.
    fn carried(&self, object: &Value) -> Result<Option<Traffic>, RouterError>;
}

/// One object a router drives.
pub(crate) struct Owned {
    /// Where it is.
    pub store: Store,
    /// Its name.
    pub name: String,
    /// What it must become.
    pub plan: Box<dyn Plan>,
}

/// The objects of one router, in write order.
pub(crate) struct Objects {
    objects: Vec<Owned>,
    /// The router and what it cannot express of a traffic's routes.
    refusals: Option<(&'static str, Refusals)>,
}

impl Objects {
    /// These objects, written in this order.
    pub(crate) fn new(objects: Vec<Owned>) -> Self {
        Self {
            objects,
            refusals: None,
        }
    }

    /// The same objects, a traffic `refusals` finds a route of refused
    /// by `router` before any object is read.
    pub(crate) fn refusing(self, router: &'static str, refusals: Refusals) -> Self {
        Self {
            refusals: Some((router, refusals)),
            ..self
        }
    }

    /// Makes every object carry `traffic`.
    ///
    /// # Errors
    /// A route the router cannot express; the first object missing,
    /// unreadable or refused.
    pub(crate) async fn apply_traffic(&self, traffic: &Traffic) -> Result<(), RouterError> {
        if let Some((router, refusals)) = self.refusals {
            refuse(router, traffic, refusals(traffic))?;
        }
        let mut planned = Vec::with_capacity(self.objects.len());
        for o in &self.objects {
            let object = o.store.get(&o.name).await?;
            planned.push(o.plan.apply_patch(&object, traffic)?);
        }
        for (o, patch) in self.objects.iter().zip(planned) {
            tracing::debug!(name = %o.name, writes = patch.is_some(), "apply");
            o.store
                .write(&o.name, patch, |object| o.plan.apply_patch(object, traffic))
                .await?;
        }
        Ok(())
    }

    /// The traffic every object agrees it carries.
    ///
    /// # Errors
    /// An object missing or unreadable (every object is read, so that one
    /// is not hidden behind an earlier `None`).
    pub(crate) async fn read_traffic(&self) -> Result<Option<Traffic>, RouterError> {
        let mut carried = Vec::with_capacity(self.objects.len());
        for o in &self.objects {
            carried.push(o.plan.carried(&o.store.get(&o.name).await?)?);
        }
        Ok(agreed(carried))
    }

    /// Gives every object back, in reverse order.
    ///
    /// # Errors
    /// An object unreadable or refused.
    pub(crate) async fn restore_all(&self) -> Result<(), RouterError> {
        for o in self.objects.iter().rev() {
            let Some(object) = o.store.get_opt(&o.name).await? else {
                tracing::info!(name = %o.name, "restore: the object is gone");
                continue;
            };
            let patch = o.plan.restore_patch(&object)?;
            o.store
                .write(&o.name, patch, |object| o.plan.restore_patch(object))
                .await?;
        }
        Ok(())
    }
}
