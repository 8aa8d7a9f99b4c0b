//! Mirroring: buffer a request's body, send a copy to the shadow arm in the
//! background, and give the primary the same bytes. The client's response and
//! latency never wait on the shadow; copies beyond the concurrency bound, and
//! bodies too large or of unknown length, are simply not mirrored.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::request::Parts;
use http::{Request, StatusCode};
use http_body::Body;
use http_body_util::{BodyExt, Either, Full};
use hyper::body::Incoming;

use crate::arm::Arm;
use crate::body::UpstreamBody;
use crate::forward::prepare_upstream;
use crate::listener::{Active, ListenerShared};

/// A shadow exchange is abandoned after this long.
const SHADOW_TIMEOUT: Duration = Duration::from_secs(30);

/// Returns the body to send to the primary arm, starting a shadow copy when
/// the limits allow. Errs only if the client's body could not be read.
pub(crate) async fn tee(
    shared: &ListenerShared,
    active: &Active,
    parts: &Parts,
    body: Incoming,
) -> Result<UpstreamBody, StatusCode> {
    let Some(target) = active.targets[Arm::Shadow.index()].clone() else {
        return Ok(Either::Left(body));
    };
    let fits = body
        .size_hint()
        .upper()
        .is_some_and(|n| n <= shared.mirror_limits.max_body_bytes);
    if !fits {
        return Ok(Either::Left(body));
    }
    let Ok(permit) = shared.mirror_permits.clone().try_acquire_owned() else {
        return Ok(Either::Left(body));
    };
    let bytes: Bytes = body
        .collect()
        .await
        .map_err(|_| StatusCode::BAD_REQUEST)?
        .to_bytes();
    let endpoint = target.endpoints.pick().clone();
    let mut shadow = Request::new(Either::Right(Full::new(bytes.clone())));
    *shadow.method_mut() = parts.method.clone();
    *shadow.headers_mut() = parts.headers.clone();
    *shadow.uri_mut() = parts.uri.clone();
    let (mut head, shadow_body) = shadow.into_parts();
    prepare_upstream(
        &mut head.headers,
        &mut head.uri,
        &mut head.version,
        &endpoint.authority,
        target.protocol,
    );
    let shadow = Request::from_parts(head, shadow_body);
    let clients = shared.clients.clone();
    let guard = shared.in_flight.enter(Arm::Shadow);
    tokio::spawn(async move {
        let start = Instant::now();
        let exchange = async {
            let resp = clients
                .send(&endpoint, target.protocol, shadow)
                .await
                .ok()?;
            let status = resp.status();
            // Read the body to the end so the connection can be reused.
            let _ = resp.into_body().collect().await;
            Some(status)
        };
        let status = tokio::time::timeout(SHADOW_TIMEOUT, exchange)
            .await
            .ok()
            .flatten();
        match status {
            Some(_) => endpoint.report_success(),
            None => endpoint.report_failure(&target.passive),
        }
        target.metrics.record(status, start.elapsed());
        drop((permit, guard));
    });
    Ok(Either::Right(Full::new(bytes)))
}
