//! [`ControllerError`]: why a reconcile of one rollout failed. Every
//! failure is retried (the rollout is looked at again shortly); the kind
//! is counted in the controller's metrics.

use thiserror::Error;

/// A reconcile failed.
#[derive(Debug, Error)]
pub enum ControllerError {
    /// The API server refused or failed a request.
    #[error("kubernetes API: {0}")]
    Api(#[from] kube::Error),
    /// A router could not write or read its objects.
    #[error("traffic: {0}")]
    Traffic(#[from] serin_traffic::RouterError),
    /// The rollout cannot be run as written (the message names the field).
    #[error("{0}")]
    Spec(String),
    /// The finalizer helper failed.
    #[error("finalizer: {0}")]
    Finalizer(String),
    /// The analysis runs could not be read back after a restart.
    #[error("analysis runs: {0}")]
    Runs(#[from] serin_metrics::StoreError),
}

impl ControllerError {
    /// A short label for the metrics (`api`, `conflict`, `traffic`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Api(kube::Error::Api(s)) if s.code == 409 => "conflict",
            Self::Api(_) => "api",
            Self::Traffic(_) => "traffic",
            Self::Spec(_) => "spec",
            Self::Finalizer(_) => "finalizer",
            Self::Runs(_) => "runs",
        }
    }
}
