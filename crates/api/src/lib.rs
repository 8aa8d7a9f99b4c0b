//! serin's resource types: `Rollout`, `AnalysisTemplate`,
//! `ClusterAnalysisTemplate` and `AnalysisRun` in the group `serin.dev/v1alpha1`,
//! their status types, the commands a rollout takes, validation with exact
//! field paths, and the CRDs derived from the types. No I/O.
//!
//! Field names follow Argo Rollouts where the concept is the same.

pub mod analysis;
pub mod analysis_ref;
pub mod bluegreen;
pub mod canary;
pub mod command;
pub mod crd;
pub mod document;
mod duration;
pub mod k8s;
pub mod rollout;
pub mod routes;
pub mod routes_in_effect;
pub mod run_history;
pub mod status;
mod time;
pub mod traffic_routing;
pub mod validate;
pub mod webhook;

pub use analysis::{AnalysisPhase, AnalysisRun, AnalysisTemplate, ClusterAnalysisTemplate};
pub use command::{Command, CommandRequest};
pub use duration::{Duration, DurationError};
pub use rollout::{Rollout, RolloutSpec};
pub use status::RolloutStatus;
pub use time::Time;

/// The API group of every serin resource.
pub const GROUP: &str = "serin.dev";
/// The API version of every serin resource.
pub const API_VERSION: &str = "serin.dev/v1alpha1";
