//! The admin API's handlers: thin, each reads or writes the store and rings
//! the rollout's control loop.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serin_api::Command;

use super::AdminState;
use crate::daemon::now;
use crate::store::StoreError;

/// The body of `PUT /v1/rollouts/{name}/version`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct VersionBody {
    /// The version to release.
    pub version: String,
    /// Who asks.
    #[serde(default)]
    pub by: String,
}

/// The body of `POST /v1/rollouts/{name}/commands`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct CommandBody {
    /// The command.
    #[serde(flatten)]
    pub command: Command,
    /// Who gives it.
    #[serde(default)]
    pub by: String,
}

/// The body of `POST /v1/rollouts/{name}/refusals`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct RefusalBody {
    /// The action refused, as typed (`abort`, `promote --full`).
    pub command: String,
    /// Who asked.
    #[serde(default)]
    pub by: String,
    /// Why it was refused.
    pub reason: String,
}

fn error(status: StatusCode, message: impl std::fmt::Display) -> Response {
    (
        status,
        Json(serde_json::json!({"error": message.to_string()})),
    )
        .into_response()
}

fn store_error(e: &StoreError) -> Response {
    error(StatusCode::INTERNAL_SERVER_ERROR, e)
}

fn unknown(name: &str) -> Response {
    error(StatusCode::NOT_FOUND, format!("no rollout named {name:?}"))
}

fn who(by: &str) -> String {
    if by.trim().is_empty() {
        "unknown".to_owned()
    } else {
        by.trim().to_owned()
    }
}

pub(super) async fn health() -> Response {
    Json(serde_json::json!({"status": "ok"})).into_response()
}

pub(super) async fn list(State(state): State<AdminState>) -> Response {
    let mut views = Vec::new();
    for rt in state.rollouts.values() {
        match rt.view() {
            Ok(v) => views.push(v),
            Err(e) => return store_error(&e),
        }
    }
    Json(views).into_response()
}

pub(super) async fn view(State(state): State<AdminState>, Path(name): Path<String>) -> Response {
    let Some(rt) = state.rollouts.get(&name) else {
        return unknown(&name);
    };
    match rt.view() {
        Ok(v) => Json(v).into_response(),
        Err(e) => store_error(&e),
    }
}

pub(super) async fn set_version(
    State(state): State<AdminState>,
    Path(name): Path<String>,
    Json(body): Json<VersionBody>,
) -> Response {
    let Some(rt) = state.rollouts.get(&name) else {
        return unknown(&name);
    };
    let version = body.version.trim();
    if version.is_empty() {
        return error(StatusCode::BAD_REQUEST, "version: must not be empty");
    }
    match state
        .store
        .set_desired(&name, version, &who(&body.by), now())
    {
        Ok(_) => {
            rt.wake.notify_one();
            Json(serde_json::json!({"version": version})).into_response()
        }
        Err(e) => store_error(&e),
    }
}

pub(super) async fn command(
    State(state): State<AdminState>,
    Path(name): Path<String>,
    Json(body): Json<CommandBody>,
) -> Response {
    let Some(rt) = state.rollouts.get(&name) else {
        return unknown(&name);
    };
    match state
        .store
        .push_command(&name, body.command, &who(&body.by), now())
    {
        Ok(Some(request)) => {
            rt.wake.notify_one();
            (
                StatusCode::ACCEPTED,
                Json(serde_json::json!({"id": request.id})),
            )
                .into_response()
        }
        Ok(None) => unknown(&name),
        Err(e) => store_error(&e),
    }
}

pub(super) async fn history(State(state): State<AdminState>, Path(name): Path<String>) -> Response {
    if !state.rollouts.contains_key(&name) {
        return unknown(&name);
    }
    match state.store.history(&name) {
        Ok(h) => Json(h).into_response(),
        Err(e) => store_error(&e),
    }
}

pub(super) async fn refusal(
    State(state): State<AdminState>,
    Path(name): Path<String>,
    Json(body): Json<RefusalBody>,
) -> Response {
    if !state.rollouts.contains_key(&name) {
        return unknown(&name);
    }
    let clip = |s: &str| s.trim().chars().take(200).collect::<String>();
    match state.store.push_refusal(
        &name,
        &clip(&body.command),
        &who(&clip(&body.by)),
        &clip(&body.reason),
        now(),
    ) {
        Ok(true) => (StatusCode::CREATED, Json(serde_json::json!({}))).into_response(),
        Ok(false) => unknown(&name),
        Err(e) => store_error(&e),
    }
}
