//! The dashboard's routes: the page, its JSON, the server-sent events.
//!
//! | method and path | answer |
//! |---|---|
//! | `GET /` | the page (HTML with its JS and CSS inline) |
//! | `GET /api/config` | `{"readOnly"}` |
//! | `GET /api/rollouts` | every rollout's view |
//! | `GET /api/rollouts/{name}` | one view |
//! | `GET /api/rollouts/{name}/history` | its history, oldest first |
//! | `GET /api/rollouts/{name}/series` | its sampled per-arm numbers, oldest first |
//! | `POST /api/rollouts/{name}/commands` | an action (see [`crate::actions`]) |
//! | `GET /api/log` | the dashboard's action log |
//! | `GET /api/events` | `text/event-stream`: one `view` event per changed view |

use std::convert::Infallible;
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use futures::{Stream, StreamExt};
use tokio::sync::broadcast::error::RecvError;

use crate::hub::Change;
use crate::source::{Source, SourceError};
use crate::{App, actions};

/// The page.
const PAGE: &str = include_str!("page.html");

pub(crate) fn error(status: StatusCode, message: impl std::fmt::Display) -> Response {
    (
        status,
        Json(serde_json::json!({"error": message.to_string()})),
    )
        .into_response()
}

pub(crate) fn source_error(e: &SourceError) -> Response {
    let status = match e {
        SourceError::NotFound(_) => StatusCode::NOT_FOUND,
        _ => StatusCode::BAD_GATEWAY,
    };
    error(status, e)
}

/// Every route, over `app`.
pub(crate) fn router<S: Source>(app: Arc<App<S>>) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/api/config", get(config::<S>))
        .route("/api/rollouts", get(list::<S>))
        .route("/api/rollouts/{name}", get(view::<S>))
        .route("/api/rollouts/{name}/history", get(history::<S>))
        .route("/api/rollouts/{name}/series", get(series::<S>))
        .route("/api/rollouts/{name}/commands", post(actions::command::<S>))
        .route("/api/log", get(log::<S>))
        .route("/api/events", get(events::<S>))
        .with_state(app)
}

async fn page() -> Response {
    ([(header::CACHE_CONTROL, "no-store")], Html(PAGE)).into_response()
}

async fn config<S: Source>(State(app): State<Arc<App<S>>>) -> Response {
    Json(serde_json::json!({"readOnly": app.options.read_only})).into_response()
}

async fn list<S: Source>(State(app): State<Arc<App<S>>>) -> Response {
    match app.hub.source.list().await {
        Ok(v) => Json(v).into_response(),
        Err(e) => source_error(&e),
    }
}

async fn view<S: Source>(State(app): State<Arc<App<S>>>, Path(name): Path<String>) -> Response {
    match app.hub.source.view(&name).await {
        Ok(v) => Json(v).into_response(),
        Err(e) => source_error(&e),
    }
}

async fn history<S: Source>(State(app): State<Arc<App<S>>>, Path(name): Path<String>) -> Response {
    match app.hub.source.history(&name).await {
        Ok(v) => Json(v).into_response(),
        Err(e) => source_error(&e),
    }
}

async fn series<S: Source>(State(app): State<Arc<App<S>>>, Path(name): Path<String>) -> Response {
    Json(app.hub.series(&name)).into_response()
}

async fn log<S: Source>(State(app): State<Arc<App<S>>>) -> Response {
    Json(app.hub.log()).into_response()
}

fn event(change: &Change) -> Event {
    Event::default()
        .event("view")
        .json_data(change)
        .unwrap_or_else(|_| Event::default().comment("unserializable view"))
}

async fn events<S: Source>(
    State(app): State<Arc<App<S>>>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let rx = app.hub.subscribe();
    let first: Vec<Change> = app.hub.current();
    let later = futures::stream::unfold(rx, |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(c) => return Some((c, rx)),
                Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return None,
            }
        }
    });
    let stream = futures::stream::iter(first)
        .chain(later)
        .map(|c| Ok(event(&c)))
        .take_until(app.hub.stopped());
    Sse::new(stream).keep_alive(KeepAlive::default())
}
