//! The admin HTTP API (its own port, loopback by default, bearer token):
//! routing tables, weights, drains, status, health and `/metrics`. Every
//! operation is a thin call on the in-process [`Proxy`] handle.

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::arm::Arm;
use crate::auth::AdminToken;
use crate::error::ProxyError;
use crate::proxy::Proxy;
use crate::table::RoutingTable;

/// Largest request body the admin API reads.
const MAX_BODY: usize = 1 << 20;
/// Longest a drain request may wait.
const MAX_DRAIN_WAIT: Duration = Duration::from_secs(600);

type AdminResponse = Response<Full<Bytes>>;

/// Serves the admin API until `stop` turns true.
pub(crate) async fn serve(
    tcp: TcpListener,
    proxy: Proxy,
    token: AdminToken,
    mut stop: watch::Receiver<bool>,
) {
    let builder = auto::Builder::new(TokioExecutor::new());
    loop {
        let stream = tokio::select! {
            accepted = tcp.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::warn!(error = %e, "admin accept failed");
                    continue;
                }
            },
            _ = stop.wait_for(|s| *s) => return,
        };
        let (proxy, token) = (proxy.clone(), token.clone());
        let service = service_fn(move |req| {
            let (proxy, token) = (proxy.clone(), token.clone());
            async move { Ok::<_, Infallible>(handle(&proxy, &token, req).await) }
        });
        let conn = builder
            .serve_connection(TokioIo::new(stream), service)
            .into_owned();
        tokio::spawn(async move {
            let _ = conn.await;
        });
    }
}

/// Weights as sent to `PUT /listeners/{name}/weights`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WeightsBody {
    stable: u32,
    canary: u32,
}

/// The JSON body of every error answer.
#[derive(Debug, Serialize)]
struct ErrorBody {
    error: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<String>,
}

async fn handle(proxy: &Proxy, token: &AdminToken, req: Request<Incoming>) -> AdminResponse {
    let path: Vec<String> = req
        .uri()
        .path()
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let segments: Vec<&str> = path.iter().map(String::as_str).collect();
    let method = req.method().clone();
    if method == Method::GET && segments == ["health"] {
        return json(StatusCode::OK, &serde_json::json!({"status": "ok"}));
    }
    if !token.allows(req.headers()) {
        return error(
            StatusCode::UNAUTHORIZED,
            "missing or wrong bearer token".into(),
            None,
        );
    }
    let query = req.uri().query().unwrap_or("").to_owned();
    match (method, segments.as_slice()) {
        (Method::GET, ["metrics"]) => {
            let mut resp = Response::new(Full::new(Bytes::from(proxy.prometheus_text())));
            resp.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static(
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                ),
            );
            resp
        }
        (Method::GET, ["metrics.json"]) => json(StatusCode::OK, &proxy.metrics().snapshot()),
        (Method::GET, ["listeners"]) => {
            let all: Vec<_> = proxy
                .listeners()
                .iter()
                .filter_map(|l| proxy.status(l).ok())
                .collect();
            json(StatusCode::OK, &all)
        }
        (Method::GET, ["listeners", l]) | (Method::GET, ["listeners", l, "status"]) => {
            result(proxy.status(l).map(|s| json(StatusCode::OK, &s)))
        }
        (Method::GET, ["listeners", l, "routing"]) => {
            result(proxy.routing(l).map(|t| json(StatusCode::OK, &t)))
        }
        (Method::PUT, ["listeners", l, "routing"]) => {
            let l = (*l).to_owned();
            match read_json::<RoutingTable>(req).await {
                Ok(table) => result(
                    proxy
                        .set_routing(&l, table)
                        .and_then(|()| proxy.routing(&l))
                        .map(|t| json(StatusCode::OK, &t)),
                ),
                Err(resp) => resp,
            }
        }
        (Method::PUT, ["listeners", l, "weights"]) => {
            let l = (*l).to_owned();
            match read_json::<WeightsBody>(req).await {
                Ok(w) => result(
                    proxy
                        .set_weights(&l, w.stable, w.canary)
                        .and_then(|()| proxy.status(&l))
                        .map(|s| json(StatusCode::OK, &s.weights)),
                ),
                Err(resp) => resp,
            }
        }
        (Method::POST, ["listeners", l, "arms", arm, "drain"]) => {
            let Some(arm) = Arm::parse(arm) else {
                return unknown_arm(arm);
            };
            drain(proxy, l, arm, &query).await
        }
        (Method::POST, ["listeners", l, "arms", arm, "undrain"]) => {
            let Some(arm) = Arm::parse(arm) else {
                return unknown_arm(arm);
            };
            result(
                proxy
                    .undrain(l, arm)
                    .and_then(|()| arm_state(proxy, l, arm, StatusCode::OK)),
            )
        }
        (Method::GET, ["listeners", l, "arms", arm]) => {
            let Some(arm) = Arm::parse(arm) else {
                return unknown_arm(arm);
            };
            result(arm_state(proxy, l, arm, StatusCode::OK))
        }
        _ => error(StatusCode::NOT_FOUND, "no such admin endpoint".into(), None),
    }
}

/// `POST …/drain[?waitMs=N]`: 202 at once, or 200 once idle, 504 on timeout.
async fn drain(proxy: &Proxy, listener: &str, arm: Arm, query: &str) -> AdminResponse {
    let wait = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("waitMs="))
        .and_then(|v| v.parse::<u64>().ok())
        .map(|ms| Duration::from_millis(ms).min(MAX_DRAIN_WAIT));
    if let Err(e) = proxy.begin_drain(listener, arm) {
        return from_error(e);
    }
    match wait {
        None => result(arm_state(proxy, listener, arm, StatusCode::ACCEPTED)),
        Some(timeout) => match proxy.wait_idle(listener, arm, timeout).await {
            Ok(()) => result(arm_state(proxy, listener, arm, StatusCode::OK)),
            Err(e) => from_error(e),
        },
    }
}

fn arm_state(
    proxy: &Proxy,
    listener: &str,
    arm: Arm,
    status: StatusCode,
) -> Result<AdminResponse, ProxyError> {
    let s = proxy.status(listener)?;
    let a = s
        .arms
        .into_iter()
        .find(|a| a.arm == arm)
        .ok_or_else(|| ProxyError::UndefinedArm {
            listener: listener.to_owned(),
            arm,
        })?;
    Ok(json(status, &a))
}

async fn read_json<T: for<'de> Deserialize<'de>>(
    req: Request<Incoming>,
) -> Result<T, AdminResponse> {
    let bytes = Limited::new(req.into_body(), MAX_BODY)
        .collect()
        .await
        .map_err(|e| {
            error(
                StatusCode::BAD_REQUEST,
                format!("cannot read body: {e}"),
                None,
            )
        })?
        .to_bytes();
    serde_json::from_slice(&bytes)
        .map_err(|e| error(StatusCode::BAD_REQUEST, format!("invalid JSON: {e}"), None))
}

fn unknown_arm(arm: &str) -> AdminResponse {
    error(
        StatusCode::NOT_FOUND,
        format!("unknown arm {arm:?} (expected stable, canary, preview or shadow)"),
        None,
    )
}

fn result(r: Result<AdminResponse, ProxyError>) -> AdminResponse {
    r.unwrap_or_else(from_error)
}

fn from_error(e: ProxyError) -> AdminResponse {
    let (status, field) = match &e {
        ProxyError::InvalidTable(t) | ProxyError::InvalidConfig(t) => {
            (StatusCode::BAD_REQUEST, Some(t.field.clone()))
        }
        ProxyError::UnknownListener(_) | ProxyError::UndefinedArm { .. } => {
            (StatusCode::NOT_FOUND, None)
        }
        ProxyError::DrainTimeout { .. } => (StatusCode::GATEWAY_TIMEOUT, None),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, None),
    };
    error(status, e.to_string(), field)
}

fn error(status: StatusCode, message: String, field: Option<String>) -> AdminResponse {
    json(
        status,
        &ErrorBody {
            error: message,
            field,
        },
    )
}

fn json<T: Serialize>(status: StatusCode, value: &T) -> AdminResponse {
    let body = serde_json::to_vec_pretty(value).unwrap_or_default();
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}
