//! Why the daemon could not start or a pass failed.

use std::net::SocketAddr;

use crate::store::StoreError;
use crate::supervisor::SupervisorError;

/// A failure of the daemon.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// The configuration cannot be run.
    #[error("{0}")]
    Config(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The supervisor refused.
    #[error(transparent)]
    Supervisor(#[from] SupervisorError),
    /// The proxy refused (binding a listener, a routing table).
    #[error(transparent)]
    Proxy(#[from] serin_proxy::ProxyError),
    /// The admin API could not listen.
    #[error("cannot listen on {0}: {1}")]
    Bind(SocketAddr, String),
    /// The rollout is not in the store.
    #[error("no rollout named {0:?}")]
    Unknown(String),
}
