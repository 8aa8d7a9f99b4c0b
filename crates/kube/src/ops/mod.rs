//! The controller's own HTTP endpoints: `/healthz` (the process runs),
//! `/readyz` (the controller's caches are synced) and `/metrics`
//! ([`ControllerMetrics`] as OpenMetrics text), served by [`serve`].

mod metrics;

use std::future::Future;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::sync::watch;

pub use metrics::{ControllerMetrics, PHASES, phase_name};

/// The `Content-Type` of `/metrics`.
pub const METRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone)]
struct Ops {
    metrics: Arc<ControllerMetrics>,
    ready: watch::Receiver<bool>,
}

/// The router of the three endpoints (for embedding; [`serve`] uses it).
pub fn router(metrics: Arc<ControllerMetrics>, ready: watch::Receiver<bool>) -> axum::Router {
    axum::Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .with_state(Ops { metrics, ready })
}

/// Serves the endpoints on `listener` until `shutdown` completes, then
/// finishes the requests under way. `ready` is set by the controller once
/// its caches are synced; `/readyz` answers 503 until then.
///
/// # Errors
/// The listener failed.
pub async fn serve(
    listener: tokio::net::TcpListener,
    metrics: Arc<ControllerMetrics>,
    ready: watch::Receiver<bool>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(metrics, ready))
        .with_graceful_shutdown(shutdown)
        .await
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(ops): State<Ops>) -> (StatusCode, &'static str) {
    if *ops.ready.borrow() {
        (StatusCode::OK, "ready\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "caches not synced yet\n")
    }
}

async fn metrics_text(State(ops): State<Ops>) -> Response {
    match ops.metrics.encode() {
        Ok(text) => ([(header::CONTENT_TYPE, METRICS_CONTENT_TYPE)], text).into_response(),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "cannot encode metrics\n").into_response(),
    }
}
