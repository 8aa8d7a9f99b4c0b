//! serin on Kubernetes. The controller watches `Rollout`s and, for each,
//! **observes** (its ReplicaSets, the traffic its routers read back, its
//! AnalysisRuns, the commands in its annotation) → `serin_engine::plan` →
//! **executes** the actions against the API (ReplicaSets, routers,
//! AnalysisRuns, Events) → writes the status through the status
//! subresource. It decides nothing itself; the engine does.

pub mod install;
pub mod leader;
pub mod ops;
