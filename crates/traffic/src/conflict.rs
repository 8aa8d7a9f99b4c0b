//! One write to a routing object, tried again on a conflict: serin reads an
//! object, plans a merge patch from what it read, and sends it; when
//! another writer changed the object in between (409), the object is read
//! again, the patch made again from the fresh read, and sent again, at
//! most [`ATTEMPTS`] times in all. Shared by the Service router and by the
//! Gateway API and Istio routers' object store; [`Named`] names the object
//! in the errors.

use std::fmt::Debug;
use std::future::Future;

use kube::api::{Api, Patch, PatchParams};
use serde::de::DeserializeOwned;
use serde_json::Value;
use serin_api::k8s::FIELD_MANAGER;

use crate::RouterError;

/// How many times a write is tried when another writer changed the object
/// between our read and our write (each time on a fresh read).
pub(crate) const ATTEMPTS: u32 = 3;

/// The router, kind and namespace of the objects a write goes to, for
/// its errors.
#[derive(Clone, Debug)]
pub(crate) struct Named {
    /// The router writing.
    pub router: &'static str,
    /// The objects' kind.
    pub kind: &'static str,
    /// Their namespace.
    pub namespace: String,
}

impl Named {
    /// [`RouterError::NotFound`] for the object `name`.
    pub(crate) fn not_found(&self, name: &str) -> RouterError {
        RouterError::NotFound {
            router: self.router,
            kind: self.kind,
            namespace: self.namespace.clone(),
            name: name.to_string(),
        }
    }

    /// [`RouterError::Api`] for what the client said.
    pub(crate) fn api_error(&self, source: kube::Error) -> RouterError {
        RouterError::Api {
            router: self.router,
            source,
        }
    }
}

/// Sends `patch` (a merge patch) to the object `name`; on a conflict reads
/// it again with `read`, makes the patch again with `make`, and tries
/// again, at most [`ATTEMPTS`] times in all. `None` (first or remade)
/// sends nothing.
///
/// # Errors
/// [`RouterError::NotFound`] when the object is gone, the client's error
/// (a conflict too, once the attempts are spent), or `read`'s or `make`'s.
pub(crate) async fn patch_retrying<K, T, R, F>(
    api: &Api<K>,
    named: &Named,
    name: &str,
    mut patch: Option<Value>,
    read: R,
    make: impl Fn(&T) -> Result<Option<Value>, RouterError>,
) -> Result<(), RouterError>
where
    K: Clone + DeserializeOwned + Debug,
    R: Fn() -> F,
    F: Future<Output = Result<T, RouterError>>,
{
    let params = PatchParams {
        field_manager: Some(FIELD_MANAGER.to_string()),
        ..PatchParams::default()
    };
    let mut attempt = 1;
    while let Some(body) = patch {
        match api.patch(name, &params, &Patch::Merge(&body)).await {
            Ok(_) => return Ok(()),
            Err(kube::Error::Api(status)) if status.is_conflict() && attempt < ATTEMPTS => {
                attempt += 1;
                tracing::debug!(kind = named.kind, name, attempt, "conflict; reading again");
                patch = make(&read().await?)?;
            }
            Err(kube::Error::Api(status)) if status.is_not_found() => {
                return Err(named.not_found(name));
            }
            Err(source) => return Err(named.api_error(source)),
        }
    }
    Ok(())
}
