//! One read model of a rollout, shared by `serin status`, the admin API and
//! (later) the dashboard. [`build`] is pure: a rollout's spec and status, the
//! per-arm numbers measured by the proxy and the time go in, a
//! [`RolloutView`] comes out; [`render`] turns it into plain text with weight
//! bars (`stable v1 ████████░░ 80% | canary v2 ██░░░░░░░░ 20%`).

mod model;
mod render;
mod steps;

pub use model::{AnalysisView, ArmNumbers, Inputs, RolloutView, StepView, build};
pub use render::{render, weight_bar};
