//! One read model of a rollout, shared by `serin status`, the admin API and
//! the dashboard. [`build`] is pure: a rollout's spec and status, its
//! analysis runs as stored, the per-arm numbers measured by the proxy (or
//! read from Prometheus) and the time go in, a [`RolloutView`] comes out;
//! [`render`] turns it into plain text with weight bars
//! (`stable v1 ████████░░ 80% | canary v2 ██░░░░░░░░ 20%`).

mod analysis;
mod judge;
mod model;
mod render;
mod steps;

pub use analysis::{AnalysisView, MeasurementView, MetricView, RunInput};
pub use judge::{Counts, EvidencePoint, JudgeView};
pub use model::{ArmNumbers, Inputs, RolloutView, StepView, build};
pub use render::{render, weight_bar};
