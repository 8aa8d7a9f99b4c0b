//! Where the dashboard's data comes from and where its actions go: the small
//! [`Source`] trait (list the views, one view, the history, give a command
//! with who gave it, record an action refused with who asked). The one-host daemon implements it in
//! [`crate::daemon`], a Kubernetes cluster in [`crate::kube_source`]; both
//! serve the same page.

use std::future::Future;

use serin_api::Command;
use serin_view::RolloutView;

/// Why a [`Source`] could not answer.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// No rollout has this name.
    #[error("no rollout named {0:?}")]
    NotFound(String),
    /// The source could not be reached.
    #[error("cannot reach {what}: {message}")]
    Unreachable {
        /// What was called.
        what: String,
        /// The transport error.
        message: String,
    },
    /// The source answered with an error.
    #[error("{status}: {message}")]
    Refused {
        /// The HTTP status (or the closest one).
        status: u16,
        /// Its message.
        message: String,
    },
    /// The answer could not be read.
    #[error("unexpected answer: {0}")]
    Decode(String),
}

/// The rollouts behind a dashboard.
pub trait Source: Send + Sync + 'static {
    /// Every rollout's view.
    fn list(&self) -> impl Future<Output = Result<Vec<RolloutView>, SourceError>> + Send;

    /// One rollout's view.
    fn view(&self, name: &str) -> impl Future<Output = Result<RolloutView, SourceError>> + Send;

    /// A rollout's history, oldest first. Entries are passed to the page as
    /// they are (each an object with at least `at` and `type`).
    fn history(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Vec<serde_json::Value>, SourceError>> + Send;

    /// Gives `command` to the rollout `name`, recorded as given by `by`.
    fn command(
        &self,
        name: &str,
        command: Command,
        by: &str,
    ) -> impl Future<Output = Result<(), SourceError>> + Send;

    /// Records in the rollout `name`'s history that `command` (as typed:
    /// `abort`, `promote --full`), asked by `by`, was refused and why.
    fn refused(
        &self,
        name: &str,
        command: &str,
        by: &str,
        reason: &str,
    ) -> impl Future<Output = Result<(), SourceError>> + Send;
}
