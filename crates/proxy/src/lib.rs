//! serin's built-in traffic-splitting reverse proxy: the one-host data plane.
//!
//! A [`ProxyConfig`] lists listeners; each serves one rollout and routes every
//! request to an arm (`stable`, `canary`, `preview`; copies to `shadow`) by a
//! checked, immutable [`Policy`] built from a plain [`RoutingTable`]. The
//! decision itself is the pure function [`decide`]. Tables are replaced whole
//! in one atomic swap through the in-process [`Proxy`] handle or the admin
//! API, without dropping in-flight requests.
//!
//! ```no_run
//! # async fn example() -> Result<(), serin_proxy::ProxyError> {
//! let config = serin_proxy::ProxyConfig::from_file("proxy.yaml".as_ref())?;
//! serin_proxy::run(config, serin_proxy::shutdown_signal()).await
//! # }
//! ```

mod admin;
mod arm;
mod auth;
mod body;
mod client;
mod config;
mod cookie;
mod decide;
mod endpoint;
mod error;
mod forward;
mod group;
mod h1;
mod health;
mod inflight;
mod listener;
mod matcher;
mod metrics;
mod mirror;
mod policy;
mod prom;
mod proxy;
mod runtime;
mod server;
mod table;
mod weights;

pub use arm::Arm;
pub use body::{BoxError, ProxyBody};
pub use config::{AdminConfig, ListenerConfig, MirrorLimits, ProxyConfig, UpstreamConfig};
pub use decide::{Decision, Draw, Reason, RequestFacts, decide};
pub use endpoint::EndpointStatus;
pub use error::ProxyError;
pub use listener::{ArmStatus, ListenerStatus, WeightsStatus};
pub use metrics::{
    ArmSnapshot, LATENCY_BOUNDS_SECONDS, LatencySnapshot, MetricsFeed, MetricsSnapshot,
    StatusCounts,
};
pub use policy::{Policy, TableError};
pub use proxy::{Proxy, ProxyServer, run, shutdown_signal};
pub use runtime::build_runtime;
pub use table::{
    ArmSpec, Condition, CookieRoute, HeaderRoute, HealthCheckSpec, MatchGroup, MatchRoute,
    MirrorSpec, PassiveHealthSpec, RequestPart, Routes, RoutingTable, StickyCookie,
    UpstreamProtocol,
};
pub use weights::{BUCKETS, Weights, WeightsError};
