//! serin's analysis runner. The pure rules live in `serin_engine::measure`
//! (what is due, how a measurement is judged) and `serin_engine::judge` (the
//! sequential judge); this crate does the I/O around them:
//!
//! - [`MetricProvider`] and one module per provider: [`prometheus`],
//!   [`web`], [`exec`], [`builtin`] (per-arm numbers from serin's proxy
//!   through an [`ArmFeed`]) and [`sequential`];
//! - [`run_analysis`]: measures an AnalysisRun until it is decided or
//!   stopped, persisting its status through a [`RunStore`] after every
//!   measurement;
//! - [`AnalysisManager`]: carries out the engine's `StartAnalysis`,
//!   `StopAnalysis` and `CallWebhook` for one rollout and reports each run's
//!   [`serin_engine::RunState`];
//! - [`webhook`]: calls Flagger-style webhooks.

pub mod builtin;
mod error;
pub mod exec;
pub mod feed;
mod http;
mod manager;
pub mod prometheus;
mod provider;
mod runner;
pub mod sequential;
mod store;
pub mod web;
pub mod webhook;

pub use error::MeasureError;
pub use feed::{ArmCounts, ArmFeed, ProxyArmFeed};
pub use http::http_client;
pub use manager::{AnalysisManager, TemplateSource};
pub use provider::{MetricProvider, Providers, Request, timeout_of};
pub use runner::run_analysis;
pub use store::{MemoryStore, RunStore, StoreError, StoredRun};
