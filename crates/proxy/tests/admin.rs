//! The admin HTTP API: bearer token, reading and replacing routing, weights,
//! drain, refusals with field paths, and Prometheus metrics.
#![allow(clippy::unwrap_used)]

mod support;

use std::net::SocketAddr;

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serin_proxy::{Proxy, ProxyConfig, ProxyError, RoutingTable};
use support::{TestProxy, client, get, two_arms};

async fn call(
    admin: SocketAddr,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> (StatusCode, String) {
    let c: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let mut req = Request::builder()
        .method(method)
        .uri(format!("http://{admin}{path}"));
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let resp = c
        .request(req.body(Full::new(Bytes::from(body.to_owned()))).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

async fn with_token(table: RoutingTable, token: &str) -> TestProxy {
    let dir = std::env::temp_dir().join(format!("serin-proxy-admin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("token-{token}"));
    std::fs::write(&file, format!("{token}\n")).unwrap();
    let mut config = ProxyConfig::single("web", "127.0.0.1:0".parse().unwrap(), table);
    config.admin.token_file = Some(file);
    TestProxy::start_with(config).await
}

#[tokio::test]
async fn a_non_loopback_admin_address_without_a_token_is_refused_at_start() {
    let (_s, _c, table) = two_arms(0).await;
    let mut config = ProxyConfig::single("web", "127.0.0.1:0".parse().unwrap(), table);
    config.admin.listen = "0.0.0.0:0".parse().unwrap();
    config.admin.token_env = "SERIN_PROXY_TEST_TOKEN_NEVER_SET".into();
    let err = Proxy::bind(config).await.unwrap_err();
    assert!(matches!(err, ProxyError::AdminTokenRequired(_)), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_api_requires_the_bearer_token_except_for_health() {
    let (_s, _c, table) = two_arms(0).await;
    let p = with_token(table, "t0ken").await;
    assert_eq!(
        call(p.admin, Method::GET, "/health", None, "").await.0,
        StatusCode::OK
    );
    for path in ["/listeners/web/routing", "/metrics", "/listeners"] {
        assert_eq!(
            call(p.admin, Method::GET, path, None, "").await.0,
            StatusCode::UNAUTHORIZED,
            "{path}"
        );
        assert_eq!(
            call(p.admin, Method::GET, path, Some("wrong"), "").await.0,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            call(p.admin, Method::GET, path, Some("t0ken"), "").await.0,
            StatusCode::OK,
            "{path}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn putting_a_routing_table_takes_effect_and_reads_back() {
    let (_s, _c, table) = two_arms(0).await;
    let p = TestProxy::start(table.clone()).await;
    let c = client();
    assert_eq!(get(&c, &p.url("/"), &[]).await.body, "stable");
    let all_canary = serde_json::to_string(&table.with_weights(0, 100)).unwrap();
    let (status, body) = call(
        p.admin,
        Method::PUT,
        "/listeners/web/routing",
        None,
        &all_canary,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for _ in 0..10 {
        assert_eq!(get(&c, &p.url("/"), &[]).await.body, "canary");
    }
    let (status, body) = call(p.admin, Method::GET, "/listeners/web/routing", None, "").await;
    assert_eq!(status, StatusCode::OK);
    let read: RoutingTable = serde_json::from_str(&body).unwrap();
    assert_eq!(read.weights["canary"], 100);
    let (status, body) = call(
        p.admin,
        Method::PUT,
        "/listeners/web/weights",
        None,
        r#"{"stable":75,"canary":25}"#,
    )
    .await;
    assert_eq!(
        (status, body.contains("\"canary\": 25")),
        (StatusCode::OK, true),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_put_names_the_field_and_leaves_routing_unchanged() {
    let (_s, _c, table) = two_arms(0).await;
    let p = TestProxy::start(table.clone()).await;
    let mut bad: serde_json::Value = serde_json::to_value(table.with_weights(0, 100)).unwrap();
    bad["routes"] = serde_json::json!({"headerRoutes": [
        {"header": "x-a", "exact": "1"},
        {"header": "x-b", "regex": "(oops"}
    ]});
    let (status, body) = call(
        p.admin,
        Method::PUT,
        "/listeners/web/routing",
        None,
        &bad.to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let err: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(err["field"], "routes.headerRoutes[1].regex");
    assert!(
        err["error"]
            .as_str()
            .unwrap()
            .starts_with("invalid routing table: routes.headerRoutes[1].regex: unclosed group"),
        "{body}"
    );
    let (status, body) = call(
        p.admin,
        Method::PUT,
        "/listeners/web/weights",
        None,
        r#"{"stable":90,"canary":5}"#,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("\"field\": \"weights\""), "{body}");
    let (status, _) = call(
        p.admin,
        Method::PUT,
        "/listeners/web/routing",
        None,
        r#"{"arms": {}, "wieghts": {}}"#,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(p.proxy.routing("web").unwrap().weights["stable"], 100);
    let c = client();
    for _ in 0..10 {
        assert_eq!(get(&c, &p.url("/"), &[]).await.body, "stable");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn draining_through_the_admin_api_waits_for_zero_in_flight() {
    let (_s, _c, table) = two_arms(50).await;
    let p = TestProxy::start(table).await;
    let (status, body) = call(
        p.admin,
        Method::POST,
        "/listeners/web/arms/canary/drain?waitMs=5000",
        None,
        "",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let state: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (state["drained"].as_bool(), state["inFlight"].as_u64()),
        (Some(true), Some(0))
    );
    let c = client();
    for _ in 0..20 {
        assert_eq!(get(&c, &p.url("/"), &[]).await.body, "stable");
    }
    let (status, _) = call(
        p.admin,
        Method::POST,
        "/listeners/web/arms/canary/undrain",
        None,
        "",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(p.proxy.routing("web").unwrap().drained.is_empty());
    let (status, _) = call(
        p.admin,
        Method::POST,
        "/listeners/web/arms/purple/drain",
        None,
        "",
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_exposed_per_arm_in_prometheus_text() {
    let (mut stable, _c, table) = two_arms(0).await;
    let p = TestProxy::start(table).await;
    let c = client();
    for _ in 0..7 {
        get(&c, &p.url("/"), &[]).await;
    }
    stable.stop().await;
    drop(stable);
    assert_eq!(
        get(&c, &p.url("/"), &[]).await.status,
        StatusCode::BAD_GATEWAY
    );
    let (status, text) = call(p.admin, Method::GET, "/metrics", None, "").await;
    assert_eq!(status, StatusCode::OK);
    for line in [
        "serin_proxy_requests_total{rollout=\"web\",version=\"v1\",arm=\"stable\",status_class=\"2xx\"} 7",
        "serin_proxy_requests_total{rollout=\"web\",version=\"v1\",arm=\"stable\",status_class=\"error\"} 1",
        "serin_proxy_errors_total{rollout=\"web\",version=\"v1\",arm=\"stable\"} 1",
        "serin_proxy_request_duration_seconds_count{rollout=\"web\",version=\"v1\",arm=\"stable\"} 8",
        "serin_proxy_request_duration_seconds_bucket{le=\"+Inf\",rollout=\"web\",version=\"v1\",arm=\"stable\"} 8",
        "serin_proxy_in_flight_requests{rollout=\"web\",version=\"v1\",arm=\"stable\"} 0",
    ] {
        assert!(text.contains(line), "missing {line} in\n{text}");
    }
    let (status, json) = call(p.admin, Method::GET, "/metrics.json", None, "").await;
    assert_eq!(status, StatusCode::OK);
    let snap: serin_proxy::MetricsSnapshot = serde_json::from_str(&json).unwrap();
    assert_eq!(snap.arm("web", serin_proxy::Arm::Stable), (8, 1));
}
