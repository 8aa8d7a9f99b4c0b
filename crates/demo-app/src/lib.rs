//! The reference service that serin releases in its demos and tests: a small
//! HTTP server that reports its version and instance, answers separate
//! startup, liveness and readiness probes, exports Prometheus metrics with
//! every series labelled by version, and misbehaves on request (errors,
//! latency, slow startup, crashes, failing probes) so that a rollout has
//! something to judge. `serin demo-app` runs it; [`serve`] runs it in-process.

mod faults;
mod metrics;
mod routes;
mod server;
mod state;

pub use faults::{FaultPatch, Faults, FaultsError, Latency, LatencyError};
pub use server::{Config, Exit, ServeError, serve};
