//! The daemon's admin API (axum, its own port, 127.0.0.1 by default). Every
//! route but `GET /health` needs `Authorization: Bearer <token>`, the token
//! generated into the state directory on first start; without it the answer
//! is 401.
//!
//! | method and path | does |
//! |---|---|
//! | `GET /health` | `{"status":"ok"}` |
//! | `GET /v1/rollouts` | every rollout's view |
//! | `GET /v1/rollouts/{name}` | one rollout's view (`serin_view::RolloutView`) |
//! | `PUT /v1/rollouts/{name}/version` | `{"version","by"}`: release a version |
//! | `POST /v1/rollouts/{name}/commands` | `{"command":"promote","by"}` (and `promoteFull`, `abort`, `retry`, `undo` with `toRevision`, `pause`, `resume`): 202 `{"id"}` |
//! | `POST /v1/rollouts/{name}/refusals` | `{"command","by","reason"}`: records an action refused before it reached the daemon (the dashboard's), 201 |
//! | `GET /v1/rollouts/{name}/history` | the history entries, oldest first |
//!
//! The daemon also serves the dashboard under `/dashboard/` ([`dashboard`]).

pub mod dashboard;
mod handlers;
pub mod token;

use axum::Router;
use axum::routing::{get, post, put};

use crate::daemon::Rollouts;
use crate::store::Store;

pub use handlers::{CommandBody, RefusalBody, VersionBody};

/// The file in the state directory holding the admin API's bound address.
pub const ADDR_FILE: &str = "admin-addr";

/// What the handlers share.
#[derive(Clone, Debug)]
pub struct AdminState {
    /// The rollouts of the daemon.
    pub rollouts: Rollouts,
    /// The store.
    pub store: Store,
    /// The bearer token.
    pub token: String,
}

/// The admin API.
pub fn router(state: AdminState) -> Router {
    let protected = Router::new()
        .route("/v1/rollouts", get(handlers::list))
        .route("/v1/rollouts/{name}", get(handlers::view))
        .route("/v1/rollouts/{name}/version", put(handlers::set_version))
        .route("/v1/rollouts/{name}/commands", post(handlers::command))
        .route("/v1/rollouts/{name}/refusals", post(handlers::refusal))
        .route("/v1/rollouts/{name}/history", get(handlers::history))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            token::require,
        ));
    Router::new()
        .route("/health", get(handlers::health))
        .merge(protected)
        .with_state(state)
}
