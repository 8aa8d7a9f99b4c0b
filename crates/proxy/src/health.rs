//! Active readiness checks: per listener, one task that `GET`s each checked
//! arm's path on every endpoint and marks endpoints ready or not. Endpoints
//! start ready; passive ejection (in [`crate::endpoint`]) works alongside.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Uri};
use http_body_util::{BodyExt, Either, Full};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::client::Clients;
use crate::endpoint::Endpoint;
use crate::forward::prepare_upstream;
use crate::listener::ListenerShared;
use crate::table::{HealthCheckSpec, UpstreamProtocol};

/// Runs until `stop` turns true.
pub(crate) async fn run(shared: Arc<ListenerShared>, mut stop: watch::Receiver<bool>) {
    loop {
        let changed = shared.table_changed.notified();
        tokio::pin!(changed);
        changed.as_mut().enable();
        let checks = due_checks(&shared);
        let interval = checks
            .iter()
            .map(|(_, hc, _)| hc.interval_ms)
            .min()
            .map(Duration::from_millis);
        let mut running = JoinSet::new();
        for (endpoint, hc, protocol) in checks {
            let clients = shared.clients.clone();
            running.spawn(async move {
                let ok = check(&clients, protocol, &endpoint, &hc).await;
                endpoint.set_ready(ok);
            });
        }
        while running.join_next().await.is_some() {}
        let wait = async {
            match interval {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = wait => {}
            _ = changed => {}
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}

type Check = (Arc<Endpoint>, HealthCheckSpec, UpstreamProtocol);

fn due_checks(shared: &ListenerShared) -> Vec<Check> {
    let active = shared.active.load();
    let mut checks = Vec::new();
    for (spec, target) in active.policy.arms.iter().zip(active.targets.iter()) {
        let (Some(spec), Some(target)) = (spec, target) else {
            continue;
        };
        let Some(hc) = &spec.health_check else {
            continue;
        };
        for e in &target.endpoints.endpoints {
            checks.push((e.clone(), hc.clone(), target.protocol));
        }
    }
    checks
}

async fn check(
    clients: &Clients,
    protocol: UpstreamProtocol,
    endpoint: &Arc<Endpoint>,
    hc: &HealthCheckSpec,
) -> bool {
    let Ok(uri) = hc.path.parse::<Uri>() else {
        return false;
    };
    let (mut head, body) = Request::new(Either::Right(Full::new(Bytes::new()))).into_parts();
    head.uri = uri;
    prepare_upstream(
        &mut head.headers,
        &mut head.uri,
        &mut head.version,
        &endpoint.authority,
        protocol,
    );
    let exchange = async {
        let resp = clients
            .send(endpoint, protocol, Request::from_parts(head, body))
            .await
            .ok()?;
        let ok = resp.status().is_success();
        // Read the body to the end so the connection can be reused.
        let _ = resp.into_body().collect().await;
        Some(ok)
    };
    tokio::time::timeout(Duration::from_millis(hc.timeout_ms), exchange)
        .await
        .ok()
        .flatten()
        .unwrap_or(false)
}
