//! SIGTERM ends the proxy gracefully: `shutdown_signal` resolves, the proxy
//! stops accepting, the request in flight still gets its answer, and serving
//! returns Ok (the `serve` example then exits 0). Its own test binary, so the
//! signal reaches no other test.
#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use http::StatusCode;
use serin_proxy::{Arm, Proxy, ProxyConfig};
use support::{client, eventually, get, two_arms};
use tokio::signal::unix::{SignalKind, signal};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_accepting_finishes_in_flight_requests_and_returns_ok() {
    // Installs tokio's handler first, so SIGTERM never kills the test process.
    let _installed = signal(SignalKind::terminate()).unwrap();
    let (stable, _canary, table) = two_arms(0).await;
    let config = ProxyConfig::single("web", "127.0.0.1:0".parse().unwrap(), table);
    let (proxy, server) = Proxy::bind(config).await.unwrap();
    let served = tokio::spawn(server.serve(serin_proxy::shutdown_signal()));
    let addr = proxy.local_addr("web").unwrap();
    stable.control.hold();
    let (c, url) = (client(), format!("http://{addr}/"));
    let in_flight = tokio::spawn(async move { get(&c, &url, &[]).await });
    let p = proxy.clone();
    eventually("a request in flight", Duration::from_secs(10), || {
        let p = p.clone();
        async move { p.in_flight("web", Arm::Stable).unwrap() == 1 }
    })
    .await;
    let pid = std::process::id().to_string();
    eventually(
        "SIGTERM closes the listener",
        Duration::from_secs(10),
        || {
            let pid = pid.clone();
            async move {
                let _ = tokio::process::Command::new("kill")
                    .args(["-TERM", &pid])
                    .status()
                    .await;
                tokio::net::TcpStream::connect(addr).await.is_err()
            }
        },
    )
    .await;
    stable.control.release();
    let answer = in_flight.await.unwrap();
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (StatusCode::OK, "stable")
    );
    let result = tokio::time::timeout(Duration::from_secs(20), served)
        .await
        .unwrap()
        .unwrap();
    assert!(result.is_ok(), "{result:?}");
}
