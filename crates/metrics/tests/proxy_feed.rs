//! `ProxyArmFeed` over a real serin-proxy in process: per-arm counts from
//! requests routed to two real upstreams, and a builtin metric and a
//! sequential look reading them.
#![allow(clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use serde_json::json;
use serin_api::AnalysisPhase;
use serin_api::analysis::{Arm, Metric};
use serin_engine::measure::{Outcome, ResultValue};
use serin_metrics::{ArmFeed, MetricProvider, Providers, ProxyArmFeed, Request};

async fn upstream(code: u16) -> SocketAddr {
    let app = Router::new().fallback(get(
        move || async move { StatusCode::from_u16(code).unwrap() },
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

async fn proxy(stable: SocketAddr, canary: SocketAddr) -> (serin_proxy::Proxy, String) {
    let yaml = format!(
        "admin: {{enabled: false}}\nlisteners:\n  - name: web\n    listen: 127.0.0.1:0\n    routing:\n      arms:\n        stable: {{version: v1, endpoints: ['{stable}']}}\n        canary: {{version: v2, endpoints: ['{canary}']}}\n      weights: {{stable: 50, canary: 50}}\n"
    );
    let config = serin_proxy::ProxyConfig::from_yaml(&yaml).unwrap();
    let (proxy, server) = serin_proxy::Proxy::bind(config).await.unwrap();
    let url = format!("http://{}/", proxy.local_addr("web").unwrap());
    tokio::spawn(server.serve(std::future::pending()));
    (proxy, url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_proxy_feed_counts_each_arms_requests_and_errors() {
    let (proxy, url) = proxy(upstream(200).await, upstream(503).await).await;
    let feed = Arc::new(ProxyArmFeed::new(proxy.metrics(), "web"));
    let client = common::reqwest_client();
    for _ in 0..40 {
        client.get(&url).send().await.unwrap();
    }
    let (s, c) = (feed.counts(Arm::Stable), feed.counts(Arm::Canary));
    assert_eq!(s.requests + c.requests, 40);
    assert!(s.requests > 0 && c.requests > 0, "both arms served");
    assert_eq!((s.errors, c.errors), (0, c.requests));
    assert_eq!(c.latency.last().unwrap().count, c.requests);
    assert_eq!(feed.counts(Arm::Preview).requests, 0);

    let providers = Providers::new(client.clone()).with_feed(feed.clone());
    let metric: Metric = serde_json::from_value(json!({
        "name": "canary-errors",
        "provider": {"builtin": {"metric": "errorRate", "window": "300ms"}},
    }))
    .unwrap();
    let measuring = providers.measure(Request {
        run: "r",
        metric: &metric,
        last: None,
        sequential_metrics: 1,
    });
    let sending = async {
        for _ in 0..40 {
            client.get(&url).send().await.unwrap();
        }
    };
    let (outcome, ()) = tokio::join!(measuring, sending);
    assert_eq!(outcome, Outcome::value(ResultValue::Number(1.0)));

    let seq: Metric = serde_json::from_value(json!({
        "name": "seq", "provider": {"sequential": {"test": "errors"}},
    }))
    .unwrap();
    let first = providers
        .measure(Request {
            run: "r",
            metric: &seq,
            last: None,
            sequential_metrics: 1,
        })
        .await;
    let Outcome::Judged { phase, value, .. } = first else {
        panic!("{first:?}")
    };
    assert_eq!(phase, AnalysisPhase::Running);
    for _ in 0..200 {
        client.get(&url).send().await.unwrap();
    }
    let last = serin_api::analysis::Measurement {
        value: Some(value),
        ..Default::default()
    };
    let second = providers
        .measure(Request {
            run: "r",
            metric: &seq,
            last: Some(&last),
            sequential_metrics: 1,
        })
        .await;
    let Outcome::Judged { phase, message, .. } = second else {
        panic!("{second:?}")
    };
    assert_eq!(phase, AnalysisPhase::Failed, "{message}");
}
