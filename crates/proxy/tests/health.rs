//! Endpoint health through a real proxy: passive ejection after consecutive
//! failures and recovery after the ejection period; active readiness checks.
#![allow(clippy::unwrap_used)]

mod support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use http::StatusCode;
use serin_proxy::{HealthCheckSpec, PassiveHealthSpec, RoutingTable};
use support::{TestProxy, Upstream, client, eventually, get};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_endpoint_is_ejected_without_failing_requests_and_recovers_after_the_ejection() {
    let a = Upstream::start("a").await;
    let mut b = Upstream::start("b").await;
    let mut table = RoutingTable::split(
        ("v1", &[&a.endpoint(), &b.endpoint()]),
        ("v2", &[&a.endpoint()]),
        0,
    );
    table.arms.get_mut("stable").unwrap().passive_health = Some(PassiveHealthSpec {
        consecutive_failures: 3,
        eject_ms: 2_000,
        count_5xx: false,
    });
    let p = TestProxy::start(table).await;
    let c = client();
    let url = p.url("/");
    for _ in 0..10 {
        assert_eq!(get(&c, &url, &[]).await.status, StatusCode::OK);
    }
    let (b_addr, b_control) = (b.addr, b.control.clone());
    b.stop().await;
    drop(b);
    let mut failures = 0;
    for _ in 0..40 {
        let answer = get(&c, &url, &[]).await;
        if answer.status == StatusCode::BAD_GATEWAY {
            failures += 1;
        } else {
            assert_eq!(answer.body, "a");
        }
    }
    assert!(
        failures <= 3,
        "{failures} failures: ejection should stop them after 3"
    );
    let status = p.proxy.status("web").unwrap();
    let stable = status
        .arms
        .iter()
        .find(|a| a.arm == serin_proxy::Arm::Stable)
        .unwrap();
    assert!(stable.endpoints.iter().any(|e| e.ejected), "{stable:?}");
    for _ in 0..50 {
        assert_eq!(
            get(&c, &url, &[]).await.body,
            "a",
            "the ejected endpoint gets no traffic"
        );
    }
    let b = Upstream::start_on("b", b_addr, b_control).await;
    let (c2, url2) = (c.clone(), url.clone());
    eventually(
        "the endpoint is tried again after its ejection",
        Duration::from_secs(30),
        || {
            let (c, url) = (c2.clone(), url2.clone());
            async move { get(&c, &url, &[]).await.body == "b" }
        },
    )
    .await;
    assert!(b.control.hits() >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_failing_its_readiness_check_gets_no_traffic_until_it_passes() {
    let a = Upstream::start("a").await;
    let b = Upstream::start("b").await;
    let mut table = RoutingTable::split(
        ("v1", &[&a.endpoint(), &b.endpoint()]),
        ("v2", &[&a.endpoint()]),
        0,
    );
    table.arms.get_mut("stable").unwrap().health_check = Some(HealthCheckSpec {
        path: "/up".into(),
        interval_ms: 50,
        timeout_ms: 500,
    });
    let p = TestProxy::start(table).await;
    let proxy = p.proxy.clone();
    b.control.unready.store(true, Ordering::SeqCst);
    eventually("b is marked unready", Duration::from_secs(10), || {
        let proxy = proxy.clone();
        async move {
            let s = proxy.status("web").unwrap();
            s.arms[0].endpoints.iter().any(|e| !e.ready)
        }
    })
    .await;
    let c = client();
    let url = p.url("/");
    for _ in 0..40 {
        assert_eq!(get(&c, &url, &[]).await.body, "a");
    }
    b.control.unready.store(false, Ordering::SeqCst);
    eventually("b is back in rotation", Duration::from_secs(10), || {
        let (c, url) = (c.clone(), url.clone());
        async move { get(&c, &url, &[]).await.body == "b" }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_slower_than_the_response_timeout_is_answered_504_and_counted_as_an_error() {
    let slow = Upstream::start("slow").await;
    slow.control.hold();
    let table = RoutingTable::split(("v1", &[&slow.endpoint()]), ("v2", &[&slow.endpoint()]), 0);
    let mut config = serin_proxy::ProxyConfig::single("web", "127.0.0.1:0".parse().unwrap(), table);
    config.upstream.response_timeout_ms = Some(100);
    let p = TestProxy::start_with(config).await;
    let answer = get(&client(), &p.url("/"), &[]).await;
    assert_eq!(answer.status, StatusCode::GATEWAY_TIMEOUT);
    let snap = p.proxy.metrics().snapshot();
    assert_eq!(snap.arm("web", serin_proxy::Arm::Stable), (1, 1));
    slow.control.release();
}
