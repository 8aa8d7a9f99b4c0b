//! Leader election with a `coordination.k8s.io/v1` Lease: only the holder
//! reconciles.
//!
//! Every controller replica runs a [`LeaderElector`]. The one named in the
//! Lease's `holderIdentity` leads and renews `renewTime` every retry period;
//! the others wait until the Lease is released (no holder) or expired
//! (`renewTime + leaseDurationSeconds` in the past), then take it over. Every
//! write carries the `resourceVersion` last read, so of two candidates racing
//! for the same Lease one gets 409 Conflict and stays a follower. A leader
//! that has not renewed within the renew deadline (shorter than the lease
//! duration) steps down before anyone else may take over. Leadership is
//! published on a `watch` channel.
//!
//! A controller wires it like this: reconcile only while the receiver says
//! true, and on SIGTERM stop reconciling first, then let the elector
//! release the Lease.
//!
//! ```no_run
//! # async fn demo(client: kube::Client) -> Result<(), Box<dyn std::error::Error>> {
//! use serin_kube::leader::{LeaderConfig, LeaderElector};
//! let config = LeaderConfig::from_pod_env(|k| std::env::var(k).ok())?;
//! let elector = LeaderElector::new(client, config)?;
//! let mut leading = elector.leadership();
//! let (stopped_tx, stopped_rx) = tokio::sync::oneshot::channel::<()>();
//! let election = tokio::spawn(elector.run(async move {
//!     let _ = stopped_rx.await;
//! }));
//! leading.wait_for(|l| *l).await?;
//! // ... reconcile until SIGTERM or until `leading` turns false ...
//! let _ = stopped_tx.send(());
//! election.await??;
//! # Ok(()) }
//! ```
//!
//! [`config`] holds the settings, [`lease`] the pure decisions over a Lease
//! (what to do with it, what to write), [`elector`] the loop that talks to
//! the API.

pub mod config;
pub mod elector;
pub mod lease;

pub use config::LeaderConfig;
pub use elector::LeaderElector;

/// Why leader election could not be set up or finish cleanly.
#[derive(Debug, thiserror::Error)]
pub enum LeaderError {
    /// The settings cannot give one leader at a time.
    #[error("invalid leader election settings: {0}")]
    InvalidConfig(String),
    /// An environment variable the pod should have is unset or empty.
    #[error("environment variable {0} is not set (the Deployment sets it from the downward API)")]
    MissingEnv(&'static str),
    /// The API refused or failed a request about the Lease.
    #[error("lease {namespace}/{name}: {source}")]
    Api {
        /// The Lease's namespace.
        namespace: String,
        /// The Lease's name.
        name: String,
        /// What the client reported.
        #[source]
        source: kube::Error,
    },
    /// Releasing the Lease at shutdown took longer than the renew deadline.
    #[error("lease {namespace}/{name}: release timed out")]
    ReleaseTimedOut {
        /// The Lease's namespace.
        namespace: String,
        /// The Lease's name.
        name: String,
    },
}
