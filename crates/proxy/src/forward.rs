//! The request path: decide the arm, count the request in flight, forward it
//! to a healthy endpoint over the pooled client, record metrics and passive
//! health, and hand the response back (with a sticky cookie when new).

use std::convert::Infallible;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{Request, Response, StatusCode, Uri, Version};
use http_body::Body;
use http_body_util::{Either, Full};
use hyper::body::Incoming;

use crate::arm::Arm;
use crate::body::ProxyBody;
use crate::client::SendError;
use crate::decide::{Decision, Draw, RequestFacts, decide};
use crate::inflight::InFlightGuard;
use crate::listener::{Active, ListenerShared};
use crate::mirror;
use crate::table::UpstreamProtocol;

/// Headers that describe one connection and are never forwarded.
const HOP_BY_HOP: [header::HeaderName; 8] = [
    header::CONNECTION,
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
    header::PROXY_AUTHENTICATE,
    header::HeaderName::from_static("keep-alive"),
    header::HeaderName::from_static("proxy-connection"),
];

/// Serves one client request.
pub(crate) async fn handle(
    shared: Arc<ListenerShared>,
    client_ip: IpAddr,
    req: Request<Incoming>,
) -> Result<Response<ProxyBody>, Infallible> {
    let start = Instant::now();
    let facts = RequestFacts {
        method: req.method(),
        path: req.uri().path(),
        headers: req.headers(),
        client_ip,
    };
    let Some((active, arm, decision, guard)) = route(&shared, &facts) else {
        return Ok(plain(
            StatusCode::SERVICE_UNAVAILABLE,
            "no arm can take this request\n",
        ));
    };
    let Some(target) = active.targets[arm.index()].clone() else {
        return Ok(plain(
            StatusCode::SERVICE_UNAVAILABLE,
            "arm has no target\n",
        ));
    };
    let client_version = req.version();
    let (mut parts, body) = req.into_parts();
    let body = if decision.mirror {
        match mirror::tee(&shared, &active, &parts, body).await {
            Ok(body) => body,
            Err(status) => return Ok(plain(status, "could not read request body\n")),
        }
    } else {
        Either::Left(body)
    };
    let mut endpoint = target.endpoints.pick().clone();
    prepare_upstream(
        &mut parts.headers,
        &mut parts.uri,
        &mut parts.version,
        &endpoint.authority,
        target.protocol,
    );
    // A request that failed to connect was never sent, so it may go to
    // another endpoint of the arm. serin's HTTP/1.1 client hands it back
    // whole; hyper's h2c client does not, so for h2c a bodyless request's
    // head is copied beforehand.
    let others = target.endpoints.endpoints.len() > 1;
    let h2c_copy = (others && target.protocol == UpstreamProtocol::H2c && body.is_end_stream())
        .then(|| {
            (
                parts.method.clone(),
                parts.uri.clone(),
                parts.headers.clone(),
            )
        });
    let version = parts.version;
    let mut result = shared
        .clients
        .send(&endpoint, target.protocol, Request::from_parts(parts, body))
        .await;
    if let (true, Err(SendError::Connect { why, unsent })) = (others, &mut result) {
        let again = unsent.take().map(|r| *r).or_else(|| {
            h2c_copy.map(|(method, uri, headers)| {
                let mut again = Request::new(Either::Right(Full::new(Bytes::new())));
                *again.method_mut() = method;
                *again.uri_mut() = uri;
                *again.version_mut() = version;
                *again.headers_mut() = headers;
                again
            })
        });
        if let Some(again) = again {
            endpoint.report_failure(&target.passive);
            tracing::debug!(endpoint = %endpoint.authority, error = %why, "connect failed; trying another endpoint");
            let failed = endpoint.authority.clone();
            endpoint = (0..target.endpoints.endpoints.len())
                .map(|_| target.endpoints.pick())
                .find(|e| e.authority != failed)
                .unwrap_or_else(|| target.endpoints.pick())
                .clone();
            let (mut head, body) = again.into_parts();
            prepare_upstream(
                &mut head.headers,
                &mut head.uri,
                &mut head.version,
                &endpoint.authority,
                target.protocol,
            );
            result = shared
                .clients
                .send(&endpoint, target.protocol, Request::from_parts(head, body))
                .await;
        }
    }
    match result {
        Ok(resp) => {
            let status = resp.status();
            if status.is_server_error() && target.passive.count_5xx {
                endpoint.report_failure(&target.passive);
            } else {
                endpoint.report_success();
            }
            target.metrics.record(Some(status), start.elapsed());
            let (mut parts, body) = resp.into_parts();
            strip_hop_by_hop(&mut parts.headers);
            parts.version = client_version;
            set_sticky_cookie(&active, &decision, &mut parts.headers);
            Ok(Response::from_parts(
                parts,
                ProxyBody::upstream(body, guard),
            ))
        }
        Err(e) => {
            endpoint.report_failure(&target.passive);
            target.metrics.record(None, start.elapsed());
            tracing::debug!(endpoint = %endpoint.authority, error = %e, "upstream request failed");
            drop(guard);
            Ok(match e {
                SendError::Timeout(_) => plain(StatusCode::GATEWAY_TIMEOUT, "upstream timed out\n"),
                _ => plain(StatusCode::BAD_GATEWAY, "upstream unavailable\n"),
            })
        }
    }
}

/// Decides and counts the request in flight. If a drain swapped the table
/// between the decision and the count, decides again on the new table, so a
/// drained arm never gains a request after its drain has looked at the count.
fn route(
    shared: &ListenerShared,
    facts: &RequestFacts<'_>,
) -> Option<(Arc<Active>, Arm, Decision, InFlightGuard)> {
    let draw = Draw::random();
    let mut active = shared.active.load_full();
    for _ in 0..8 {
        let decision = decide(facts, &active.policy, draw);
        let arm = decision.arm?;
        let guard = shared.in_flight.enter(arm);
        let now = shared.active.load();
        if Arc::ptr_eq(&now, &active) || now.policy.is_available(arm) {
            return Some((active, arm, decision, guard));
        }
        drop(guard);
        active = arc_swap::Guard::into_inner(now);
    }
    None
}

/// Rewrites a client request into an upstream one: keeps the client's host,
/// drops hop-by-hop headers, and sets the URI form and version the upstream
/// protocol needs (origin-form for HTTP/1.1, absolute for h2c).
pub(crate) fn prepare_upstream(
    headers: &mut HeaderMap,
    uri: &mut Uri,
    version: &mut Version,
    authority: &Authority,
    protocol: UpstreamProtocol,
) {
    if !headers.contains_key(header::HOST) {
        let host = uri.authority().unwrap_or(authority);
        if let Ok(host) = HeaderValue::from_str(host.as_str()) {
            headers.insert(header::HOST, host);
        }
    }
    strip_hop_by_hop(headers);
    let path = uri
        .path_and_query()
        .cloned()
        .unwrap_or_else(|| PathAndQuery::from_static("/"));
    let mut parts = http::uri::Parts::default();
    match protocol {
        UpstreamProtocol::Http1 => {
            *version = Version::HTTP_11;
        }
        UpstreamProtocol::H2c => {
            parts.scheme = Some(Scheme::HTTP);
            parts.authority = Some(authority.clone());
            *version = Version::HTTP_2;
        }
    }
    parts.path_and_query = Some(path);
    if let Ok(new) = Uri::from_parts(parts) {
        *uri = new;
    }
}

/// Removes connection-scoped headers, including those named by `Connection`.
fn strip_hop_by_hop(headers: &mut HeaderMap) {
    // Most messages have none: one pass over the names instead of a lookup each.
    if !headers.keys().any(|name| HOP_BY_HOP.contains(name)) {
        return;
    }
    if let Some(conn) = headers.get(header::CONNECTION) {
        let named: Vec<header::HeaderName> = conn
            .to_str()
            .unwrap_or("")
            .split(',')
            .filter_map(|n| header::HeaderName::from_bytes(n.trim().as_bytes()).ok())
            .collect();
        for n in named {
            headers.remove(n);
        }
    }
    for h in &HOP_BY_HOP {
        headers.remove(h);
    }
}

fn set_sticky_cookie(active: &Active, decision: &Decision, headers: &mut HeaderMap) {
    let (Some(bucket), Some(sticky)) = (decision.set_bucket, active.policy.sticky.as_ref()) else {
        return;
    };
    let cookie = format!("{}={bucket}{}", sticky.name, sticky.attributes);
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        headers.append(header::SET_COOKIE, v);
    }
}

/// A short plain-text response made by the proxy itself.
pub(crate) fn plain(status: StatusCode, text: &'static str) -> Response<ProxyBody> {
    let mut resp = Response::new(ProxyBody::full(text));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}
