//! Keep-alive to upstreams: connections are reused across requests, and a
//! pooled connection the upstream has closed is replaced without failing a
//! request.
#![allow(clippy::unwrap_used)]

mod support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use http::StatusCode;
use serin_proxy::UpstreamProtocol;
use support::{TestProxy, Upstream, client, eventually, get, tally, two_arms};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequential_requests_reuse_one_upstream_connection() {
    let (stable, _canary, table) = two_arms(0).await;
    let p = TestProxy::start(table).await;
    let c = client();
    for _ in 0..200 {
        assert_eq!(get(&c, &p.url("/"), &[]).await.body, "stable");
    }
    assert_eq!(stable.control.hits(), 200);
    assert_eq!(stable.control.connections.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_open_at_most_one_connection_each_and_keep_them() {
    let (stable, _canary, table) = two_arms(0).await;
    let p = TestProxy::start(table).await;
    let seen = tally(&p.url("/"), 2_000, 8).await;
    assert_eq!(seen.get("stable").copied(), Some(2_000));
    let opened = stable.control.connections.load(Ordering::SeqCst);
    assert!(
        (1..=8).contains(&opened),
        "{opened} connections for 8 concurrent clients"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pooled_connection_closed_by_a_restarted_upstream_does_not_fail_a_request() {
    let (mut stable, _canary, table) = two_arms(0).await;
    let p = TestProxy::start(table).await;
    let c = client();
    assert_eq!(get(&c, &p.url("/"), &[]).await.body, "stable");
    let (addr, control) = (stable.addr, stable.control.clone());
    stable.stop().await;
    drop(stable);
    let _again = Upstream::start_on("stable", addr, control).await;
    for _ in 0..20 {
        let a = get(&c, &p.url("/"), &[]).await;
        assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "stable"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2c_upstreams_multiplex_requests_over_one_connection() {
    let (_stable, canary, mut table) = two_arms(100).await;
    table.arms.get_mut("canary").unwrap().protocol = UpstreamProtocol::H2c;
    let p = TestProxy::start(table).await;
    // One request first: the connection exists before the concurrent ones
    // arrive, so none of them races to open a second.
    let first = tally(&p.url("/"), 1, 1).await;
    assert_eq!(first.get("canary").copied(), Some(1), "{first:?}");
    let seen = tally(&p.url("/"), 500, 8).await;
    assert_eq!(seen.get("canary").copied(), Some(500), "{seen:?}");
    let control = canary.control.clone();
    eventually("one h2c connection", Duration::from_secs(5), || {
        let control = control.clone();
        async move { control.connections.load(Ordering::SeqCst) == 1 }
    })
    .await;
}
