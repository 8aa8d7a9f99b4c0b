//! Changing routing and stopping while traffic flows: drain, graceful
//! shutdown with requests in flight, and zero loss while weights change
//! 1,000 times under 64 busy connections.
#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use serin_proxy::{Arm, HeaderRoute, ProxyConfig};
use support::{TestProxy, client, eventually, get, two_arms};
use tokio::task::JoinSet;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn draining_an_arm_stops_new_requests_and_completes_when_in_flight_reaches_zero() {
    let (_stable, canary, mut table) = two_arms(50).await;
    table.routes.header_routes.push(HeaderRoute {
        header: "x-canary".into(),
        exact: Some("1".into()),
        ..Default::default()
    });
    let p = TestProxy::start(table).await;
    canary.control.hold();
    let c = client();
    let url = p.url("/");
    let mut held = JoinSet::new();
    for _ in 0..3 {
        let (c, url) = (c.clone(), url.clone());
        held.spawn(async move { get(&c, &url, &[("x-canary", "1")]).await });
    }
    let proxy = p.proxy.clone();
    eventually(
        "three canary requests in flight",
        Duration::from_secs(10),
        || {
            let proxy = proxy.clone();
            async move { proxy.in_flight("web", Arm::Canary).unwrap() == 3 }
        },
    )
    .await;
    let drain = {
        let proxy = p.proxy.clone();
        tokio::spawn(async move {
            proxy
                .drain("web", Arm::Canary, Duration::from_secs(30))
                .await
        })
    };
    let proxy = p.proxy.clone();
    eventually(
        "the canary is marked drained",
        Duration::from_secs(10),
        || {
            let proxy = proxy.clone();
            async move { proxy.routing("web").unwrap().drained == vec!["canary".to_owned()] }
        },
    )
    .await;
    for _ in 0..30 {
        assert_eq!(
            get(&c, &url, &[("x-canary", "1")]).await.body,
            "stable",
            "a drained arm takes no new request"
        );
    }
    assert!(
        !drain.is_finished(),
        "drain must wait for the held requests"
    );
    assert_eq!(p.proxy.in_flight("web", Arm::Canary).unwrap(), 3);
    canary.control.release();
    drain.await.unwrap().unwrap();
    assert_eq!(p.proxy.in_flight("web", Arm::Canary).unwrap(), 0);
    while let Some(answer) = held.join_next().await {
        let answer = answer.unwrap();
        assert_eq!(
            (answer.status, answer.body.as_str()),
            (StatusCode::OK, "canary")
        );
    }
    p.proxy.undrain("web", Arm::Canary).unwrap();
    assert_eq!(get(&c, &url, &[("x-canary", "1")]).await.body, "canary");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_stops_accepting_and_finishes_requests_in_flight() {
    let (stable, _canary, table) = two_arms(0).await;
    let mut p = TestProxy::start(table).await;
    stable.control.hold();
    let c = client();
    let url = p.url("/");
    let mut held = JoinSet::new();
    for _ in 0..5 {
        let (c, url) = (c.clone(), url.clone());
        held.spawn(async move { get(&c, &url, &[]).await });
    }
    let proxy = p.proxy.clone();
    eventually("five requests in flight", Duration::from_secs(10), || {
        let proxy = proxy.clone();
        async move { proxy.in_flight("web", Arm::Stable).unwrap() == 5 }
    })
    .await;
    p.begin_shutdown();
    let addr = p.addr;
    eventually(
        "new connections are refused",
        Duration::from_secs(10),
        || async move { tokio::net::TcpStream::connect(addr).await.is_err() },
    )
    .await;
    let served = p.served.take().unwrap();
    assert!(!served.is_finished(), "serve waits for in-flight requests");
    stable.control.release();
    let result = tokio::time::timeout(Duration::from_secs(20), served)
        .await
        .unwrap()
        .unwrap();
    assert!(result.is_ok(), "{result:?}");
    while let Some(answer) = held.join_next().await {
        let answer = answer.unwrap();
        assert_eq!(
            (answer.status, answer.body.as_str()),
            (StatusCode::OK, "stable")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_returns_at_the_grace_deadline_when_requests_never_finish() {
    let (stable, _canary, table) = two_arms(0).await;
    let mut config = ProxyConfig::single("web", "127.0.0.1:0".parse().unwrap(), table);
    config.shutdown_grace_ms = 200;
    let mut p = TestProxy::start_with(config).await;
    stable.control.hold();
    let (c, url) = (client(), p.url("/"));
    let stuck = tokio::spawn(async move { get(&c, &url, &[]).await });
    let proxy = p.proxy.clone();
    eventually("one request in flight", Duration::from_secs(10), || {
        let proxy = proxy.clone();
        async move { proxy.in_flight("web", Arm::Stable).unwrap() == 1 }
    })
    .await;
    p.begin_shutdown();
    let started = Instant::now();
    let result = tokio::time::timeout(Duration::from_secs(10), p.served.take().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(result.is_ok());
    assert!(
        started.elapsed() >= Duration::from_millis(150),
        "{:?}",
        started.elapsed()
    );
    stable.control.release();
    stuck.abort();
}

/// One client connection that sends GETs back to back until told to stop.
async fn busy_connection(
    addr: std::net::SocketAddr,
    stop: Arc<AtomicBool>,
    ok: Arc<AtomicU64>,
    failed: Arc<AtomicU64>,
    deadline: Instant,
) -> u64 {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    let conn = tokio::spawn(conn);
    let mut connection_errors = 0;
    while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
        let req = Request::get("/")
            .header("host", "web")
            .body(Empty::<Bytes>::new())
            .unwrap();
        if sender.ready().await.is_err() {
            connection_errors += 1;
            break;
        }
        match sender.send_request(req).await {
            Ok(resp) => {
                let good = resp.status() == StatusCode::OK;
                let body = resp.into_body().collect().await.map(|b| b.to_bytes());
                match body {
                    Ok(b) if good && (&b[..] == b"stable" || &b[..] == b"canary") => {
                        ok.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            Err(_) => {
                connection_errors += 1;
                break;
            }
        }
    }
    drop(sender);
    let _ = conn.await;
    connection_errors
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_request_fails_while_weights_change_1000_times_under_64_busy_connections() {
    let (_stable, _canary, table) = two_arms(10).await;
    let p = TestProxy::start(table).await;
    let (stop, ok, failed) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
    );
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut conns = JoinSet::new();
    for _ in 0..64 {
        conns.spawn(busy_connection(
            p.addr,
            stop.clone(),
            ok.clone(),
            failed.clone(),
            deadline,
        ));
    }
    let progress = |at_least: u64| {
        let ok = ok.clone();
        async move {
            eventually(
                "traffic flows after a change",
                Duration::from_secs(30),
                || {
                    let ok = ok.clone();
                    async move { ok.load(Ordering::Relaxed) >= at_least }
                },
            )
            .await;
        }
    };
    let admin: hyper_util::client::legacy::Client<_, http_body_util::Full<Bytes>> =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build_http();
    let mut changes = 0;
    for i in 0..1_000u32 {
        let canary = (i * 37 + 11) % 101;
        if i % 10 == 0 {
            // Every tenth change goes through the admin API, as an operator's would.
            let body = format!(r#"{{"stable":{},"canary":{canary}}}"#, 100 - canary);
            let req = Request::put(format!("http://{}/listeners/web/weights", p.admin))
                .body(http_body_util::Full::new(Bytes::from(body)))
                .unwrap();
            let resp = admin.request(req).await.unwrap();
            assert_eq!(resp.status(), StatusCode::OK);
        } else {
            p.proxy.set_weights("web", 100 - canary, canary).unwrap();
        }
        changes += 1;
        progress(ok.load(Ordering::Relaxed) + 3).await;
    }
    for canary in [0, 100, 0, 100, 0, 100, 0] {
        p.proxy.set_weights("web", 100 - canary, canary).unwrap();
        changes += 1;
        progress(ok.load(Ordering::Relaxed) + 500).await;
    }
    stop.store(true, Ordering::Relaxed);
    let mut connection_errors = 0;
    while let Some(errors) = conns.join_next().await {
        connection_errors += errors.unwrap();
    }
    assert!(
        Instant::now() < deadline,
        "the load ran into its time bound"
    );
    let snap = p.proxy.metrics().snapshot();
    assert_eq!(changes, 1_007);
    assert_eq!(failed.load(Ordering::Relaxed), 0, "failed requests");
    assert_eq!(connection_errors, 0, "connection errors");
    assert!(snap.arm("web", Arm::Stable).0 > 0 && snap.arm("web", Arm::Canary).0 > 0);
    assert_eq!(
        snap.arm("web", Arm::Stable).1 + snap.arm("web", Arm::Canary).1,
        0
    );
    let total = snap.arm("web", Arm::Stable).0 + snap.arm("web", Arm::Canary).0;
    assert_eq!(
        total,
        ok.load(Ordering::Relaxed),
        "every request reached an arm and was counted"
    );
}
