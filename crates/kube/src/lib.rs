//! serin on Kubernetes. The controller watches `Rollout`s and, for each,
//! **observes** (its ReplicaSets, the traffic its routers read back, its
//! AnalysisRuns, the commands in its annotation) → `serin_engine::plan` →
//! **executes** the actions against the API (ReplicaSets, routers,
//! AnalysisRuns, Events) → writes the status through the status
//! subresource. It decides nothing itself; the engine does.

pub mod cleanup;
pub mod clock;
pub mod commands;
pub mod context;
pub mod controller;
mod error;
pub mod execute;
pub mod hash;
pub mod index;
pub mod install;
pub mod leader;
pub mod observe;
pub mod ops;
mod patch;
pub mod reconcile;
pub mod runs;
pub mod workload;

pub use clock::{Clock, ManualClock, SystemClock};
pub use context::{Config, Report};
pub use controller::{Parts, run};
pub use error::ControllerError;
