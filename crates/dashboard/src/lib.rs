//! serin's dashboard: one self-contained page (HTML with inline JS and CSS,
//! charts drawn as inline SVG, no build step), its JSON API and
//! server-sent events, as an axum router over a [`Source`]. The page lists
//! the rollouts with their phase; for one rollout it shows the steps with
//! the current one marked, the weights, charts per version of request
//! rate, error rate and p99 across the rollout (sampled here into a bounded
//! series), the analysis verdicts, the history, and the buttons promote,
//! promote --full, abort, retry, undo, pause, resume. The same page serves
//! the one-host daemon ([`DaemonSource`]) and a Kubernetes cluster
//! ([`KubeSource`]).
//!
//! ```no_run
//! # async fn f() -> Result<(), Box<dyn std::error::Error>> {
//! use serin_dashboard::{DaemonSource, Options, start};
//! let source = DaemonSource::new("127.0.0.1:9900", "the-admin-token", reqwest::Client::new());
//! let (router, dashboard) = start(source, Options::new("the-admin-token"));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:9901").await?;
//! axum::serve(listener, router)
//!     .with_graceful_shutdown(async move { dashboard.stop() })
//!     .await?;
//! # Ok(()) }
//! ```

mod actions;
mod audit;
mod budget;
mod daemon;
mod hub;
pub mod kube_events;
pub mod kube_history;
pub mod kube_runs;
mod kube_source;
pub mod kube_view;
pub mod prometheus;
mod routes;
mod series;
mod source;

use std::sync::Arc;
use std::time::Duration;

pub use audit::{Entry, Outcome};
pub use budget::PER_MINUTE as REFUSALS_PER_MINUTE;
pub use daemon::DaemonSource;
pub use hub::Change;
pub use kube_source::{KubeSource, Scope};
pub use series::Point;
pub use source::{Source, SourceError};

/// How a dashboard behaves.
#[derive(Clone, Debug)]
pub struct Options {
    /// The bearer token an action must carry.
    pub token: String,
    /// Refuse every action (and hide the buttons).
    pub read_only: bool,
    /// How often the views are sampled.
    pub sample_every: Duration,
    /// Samples kept per rollout (the charts' length).
    pub points: usize,
}

impl Options {
    /// Actions need `token`; samples every second, the last 15 minutes kept.
    pub fn new(token: &str) -> Options {
        Options {
            token: token.trim().to_owned(),
            read_only: false,
            sample_every: Duration::from_secs(1),
            points: 900,
        }
    }
}

/// What the routes share.
#[derive(Debug)]
pub(crate) struct App<S> {
    pub(crate) hub: Arc<hub::Hub<S>>,
    pub(crate) options: Options,
}

/// A running dashboard's sampler; [`Dashboard::stop`] ends it and every
/// event stream (so that a graceful shutdown of the server can finish).
#[derive(Debug)]
pub struct Dashboard {
    stop: Arc<tokio::sync::watch::Sender<bool>>,
}

impl Dashboard {
    /// Stops sampling and ends every event stream.
    pub fn stop(&self) {
        self.stop.send_replace(true);
    }
}

/// Starts sampling `source` (on the current tokio runtime) and returns the
/// dashboard's router (serve it alone or nest it) and its handle.
pub fn start<S: Source>(source: S, options: Options) -> (axum::Router, Dashboard) {
    let hub = Arc::new(hub::Hub::new(source, options.points));
    tokio::spawn(hub::sample(hub.clone(), options.sample_every));
    let app = Arc::new(App {
        hub: hub.clone(),
        options,
    });
    let router = routes::router(app);
    let dashboard = Dashboard {
        stop: hub.stop_switch(),
    };
    (router, dashboard)
}

/// Serves the dashboard of `source` on `listener` until `shutdown`
/// resolves; then ends the event streams and finishes the requests under way.
pub async fn serve<S: Source>(
    listener: tokio::net::TcpListener,
    source: S,
    options: Options,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (router, dashboard) = start(source, options);
    axum::serve(listener, router)
        .with_graceful_shutdown(async move {
            shutdown.await;
            dashboard.stop();
        })
        .await
}
