//! The HTTP endpoints: `/` (version and instance, with injected errors and
//! latency), the `/startup`, `/livez` and `/readyz` probes, `/version`,
//! `/metrics`, and `GET`/`PUT /fault`. A middleware counts every request.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{MatchedPath, Request, State as Shared};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rand::Rng;
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::faults::{FaultPatch, Faults};
use crate::state::State;

/// The app's routes over `state`.
pub(crate) fn router(state: Arc<State>) -> Router {
    Router::new()
        .route("/", get(root))
        .route("/version", get(version))
        .route("/startup", get(startup))
        .route("/livez", get(livez))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/fault", get(get_fault).put(put_fault))
        .layer(middleware::from_fn_with_state(state.clone(), count))
        .with_state(state)
}

/// Counts and times every request.
async fn count(Shared(state): Shared<Arc<State>>, req: Request, next: Next) -> Response {
    let path = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "other".to_owned(), |p| p.as_str().to_owned());
    let start = Instant::now();
    state.metrics.started();
    let response = next.run(req).await;
    state.metrics.finished(
        &path,
        response.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    response
}

/// `GET /`: the version and instance, after the injected latency; an
/// injected error is a 500.
async fn root(Shared(state): Shared<Arc<State>>) -> Response {
    let faults = state.faults();
    let (delay, fail) = {
        let mut rng = rand::rng();
        let delay = faults.latency.map(|l| l.sample(&mut rng));
        (delay, rng.random::<f64>() < faults.error_rate)
    };
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    if fail {
        tracing::info!(status = 500, "injected error");
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"error": "injected error", "version": state.version, "instance": state.instance})),
        )
            .into_response();
    }
    Json(json!({
        "version": state.version,
        "instance": state.instance,
        "pid": std::process::id(),
    }))
    .into_response()
}

/// `GET /version`.
async fn version(Shared(state): Shared<Arc<State>>) -> Json<Value> {
    Json(json!({"version": state.version}))
}

/// A probe's answer: 200 or 503 with why.
fn probe(ok: bool, why: &str) -> Response {
    if ok {
        (StatusCode::OK, Json(json!({"status": "ok"}))).into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "failing", "reason": why})),
        )
            .into_response()
    }
}

/// `GET /startup`: fails during the slow-startup period.
async fn startup(Shared(state): Shared<Arc<State>>) -> Response {
    probe(state.started(), "starting")
}

/// `GET /livez`: fails when liveness failure is injected.
async fn livez(Shared(state): Shared<Arc<State>>) -> Response {
    probe(!state.faults().fail_liveness, "liveness failure injected")
}

/// `GET /readyz`: fails while starting, while draining, or when injected.
async fn readyz(Shared(state): Shared<Arc<State>>) -> Response {
    if !state.started() {
        probe(false, "starting")
    } else if state.draining() {
        probe(false, "draining")
    } else {
        probe(!state.faults().fail_readiness, "readiness failure injected")
    }
}

/// `GET /metrics`: Prometheus text.
async fn metrics(Shared(state): Shared<Arc<State>>) -> Response {
    match state.metrics.encode() {
        Ok(text) => (
            [(
                axum::http::header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// `GET /fault`: the faults in effect.
async fn get_fault(Shared(state): Shared<Arc<State>>) -> Json<Faults> {
    Json(state.faults())
}

/// `PUT /fault`: changes the fields given; 400 with why when refused.
async fn put_fault(Shared(state): Shared<Arc<State>>, body: axum::body::Bytes) -> Response {
    let patch: FaultPatch = match serde_json::from_slice(&body) {
        Ok(p) => p,
        Err(e) => return bad_request(&e.to_string()),
    };
    let new = patch.apply(&state.faults());
    if let Err(e) = new.check() {
        return bad_request(&e.to_string());
    }
    tracing::info!(faults = %json!(new), uptime = state.uptime(), "faults changed");
    state.set_faults(new.clone());
    Json(new).into_response()
}

/// A 400 with `{"error": why}`.
fn bad_request(why: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"error": why}))).into_response()
}
