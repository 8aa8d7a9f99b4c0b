//! `POST /api/rollouts/{name}/commands`: an action from the page. Refused
//! with 403 when the dashboard is read-only and with 401 without the right
//! bearer token; every action, given or not, goes to the dashboard's log,
//! and to the rollout's history through the [`Source`] with who asked
//! (`<name> (dashboard)`): a given one as a command, a refused one as a
//! refusal with its reason (at most [`crate::budget::PER_MINUTE`] a minute).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serin_api::Command;

use crate::App;
use crate::audit::{Entry, Outcome};
use crate::hub::now_ms;
use crate::routes::{error, source_error};
use crate::source::Source;

/// The body of an action.
#[derive(Deserialize, Debug)]
pub struct ActionBody {
    /// The command (`{"command":"abort"}`, `{"command":"undo","toRevision":2}`).
    #[serde(flatten)]
    pub command: Command,
    /// Who the person says they are.
    #[serde(default)]
    pub by: String,
}

/// Compares without stopping at the first difference.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The bearer token `headers` carry (empty when none).
fn bearer(headers: &HeaderMap) -> &str {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or("")
}

/// Whether `headers` carry `Authorization: Bearer <token>`.
pub fn authorized(headers: &HeaderMap, token: &str) -> bool {
    !token.is_empty() && same(bearer(headers).as_bytes(), token.as_bytes())
}

/// Who gave an action, as the history shows it.
fn who(by: &str) -> String {
    let name: String = by.trim().chars().take(64).collect();
    if name.is_empty() {
        "someone (dashboard)".to_owned()
    } else {
        format!("{name} (dashboard)")
    }
}

pub(crate) async fn command<S: Source>(
    State(app): State<Arc<App<S>>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    Json(body): Json<ActionBody>,
) -> Response {
    let by = who(&body.by);
    let entry = |outcome, error: Option<String>| Entry {
        at: now_ms(),
        rollout: name.clone(),
        command: body.command.verb().to_owned(),
        by: by.clone(),
        outcome,
        error,
    };
    if app.options.read_only {
        let reason = "the dashboard is read-only";
        refuse(&app, entry(Outcome::ReadOnly, None), reason).await;
        return error(StatusCode::FORBIDDEN, reason);
    }
    if !authorized(&headers, &app.options.token) {
        let reason = if bearer(&headers).is_empty() {
            "no bearer token"
        } else {
            "wrong bearer token"
        };
        refuse(&app, entry(Outcome::Unauthorized, None), reason).await;
        return error(StatusCode::UNAUTHORIZED, "missing or wrong bearer token");
    }
    match app
        .hub
        .source
        .command(&name, body.command.clone(), &by)
        .await
    {
        Ok(()) => {
            app.hub.record(entry(Outcome::Given, None));
            (
                StatusCode::ACCEPTED,
                Json(serde_json::json!({"given": body.command.verb(), "by": by})),
            )
                .into_response()
        }
        Err(e) => {
            app.hub.record(entry(Outcome::Failed, Some(e.to_string())));
            source_error(&e)
        }
    }
}

/// Records a refused action in the rollout's history through the source
/// (within the budget), then in the dashboard's log, with why it could not
/// reach the history when it could not.
async fn refuse<S: Source>(app: &App<S>, mut entry: Entry, reason: &str) {
    let not_recorded = if app.hub.may_record_refusal() {
        app.hub
            .source
            .refused(&entry.rollout, &entry.command, &entry.by, reason)
            .await
            .err()
            .map(|e| format!("not in the rollout's history: {e}"))
    } else {
        Some(format!(
            "not in the rollout's history: over {} refusals a minute",
            crate::budget::PER_MINUTE
        ))
    };
    entry.error = Some(match not_recorded {
        Some(why) => format!("{reason}; {why}"),
        None => reason.to_owned(),
    });
    app.hub.record(entry);
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderValue, header};

    use super::{authorized, who};

    fn bearer(t: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(&format!("Bearer {t}")) {
            h.insert(header::AUTHORIZATION, v);
        }
        h
    }

    #[test]
    fn only_the_exact_token_is_authorized() {
        assert!(authorized(&bearer("s3cret"), "s3cret"));
        assert!(!authorized(&bearer("s3cre"), "s3cret"));
        assert!(!authorized(&HeaderMap::new(), "s3cret"));
        assert!(!authorized(&bearer(""), ""));
    }

    #[test]
    fn an_action_is_recorded_as_given_through_the_dashboard() {
        assert_eq!(who(" alice "), "alice (dashboard)");
        assert_eq!(who(""), "someone (dashboard)");
    }
}
