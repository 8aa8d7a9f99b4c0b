//! Test support: real upstream servers on 127.0.0.1 that answer with their
//! name, a proxy started on ephemeral ports, a plain HTTP client, and polling
//! a condition with a deadline (never a sleep).
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use serin_proxy::{Proxy, ProxyConfig, ProxyError, RoutingTable};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, oneshot};
use tokio::task::{JoinHandle, JoinSet};

/// How an upstream behaves; shared with the test.
#[derive(Debug, Default)]
pub struct Control {
    /// Requests received (health checks on `/up` excluded).
    pub hits: AtomicU64,
    /// TCP connections accepted.
    pub connections: AtomicU64,
    /// `/up` answers 503 while true.
    pub unready: AtomicBool,
    /// When set, each request waits for a permit before answering.
    pub gate: std::sync::Mutex<Option<Arc<Semaphore>>>,
}

impl Control {
    /// Makes every later request wait until [`Control::release`].
    pub fn hold(&self) {
        *self.gate.lock().unwrap() = Some(Arc::new(Semaphore::new(0)));
    }

    /// Lets every held and later request through.
    pub fn release(&self) {
        if let Some(g) = self.gate.lock().unwrap().take() {
            g.add_permits(Semaphore::MAX_PERMITS / 2);
        }
    }

    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::SeqCst)
    }
}

/// A tiny hyper server (HTTP/1.1 and h2c) answering with its name.
pub struct Upstream {
    pub name: &'static str,
    pub addr: SocketAddr,
    pub control: Arc<Control>,
    task: JoinHandle<()>,
}

impl Upstream {
    pub async fn start(name: &'static str) -> Upstream {
        Upstream::start_on(name, "127.0.0.1:0".parse().unwrap(), Arc::default()).await
    }

    /// Starts on a given address (to restart a stopped upstream on its port).
    pub async fn start_on(name: &'static str, addr: SocketAddr, control: Arc<Control>) -> Upstream {
        let tcp = TcpListener::bind(addr).await.unwrap();
        let addr = tcp.local_addr().unwrap();
        let ctl = control.clone();
        let task = tokio::spawn(async move {
            let mut conns = JoinSet::new();
            let builder = auto::Builder::new(TokioExecutor::new());
            loop {
                let Ok((stream, _)) = tcp.accept().await else {
                    continue;
                };
                ctl.connections.fetch_add(1, Ordering::SeqCst);
                let ctl = ctl.clone();
                let service = service_fn(move |req| answer(name, ctl.clone(), req));
                let conn = builder
                    .serve_connection(TokioIo::new(stream), service)
                    .into_owned();
                conns.spawn(async move {
                    let _ = conn.await;
                });
                while conns.try_join_next().is_some() {}
            }
        });
        Upstream {
            name,
            addr,
            control,
            task,
        }
    }

    pub fn endpoint(&self) -> String {
        self.addr.to_string()
    }

    /// Stops accepting and closes every connection; returns once the port is free.
    pub async fn stop(&mut self) {
        self.task.abort();
        let _ = (&mut self.task).await;
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn answer(
    name: &'static str,
    ctl: Arc<Control>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    if req.uri().path() == "/up" {
        let status = if ctl.unready.load(Ordering::SeqCst) {
            StatusCode::SERVICE_UNAVAILABLE
        } else {
            StatusCode::OK
        };
        let mut resp = Response::new(Full::new(Bytes::from_static(b"up")));
        *resp.status_mut() = status;
        return Ok(resp);
    }
    ctl.hits.fetch_add(1, Ordering::SeqCst);
    let gate = ctl.gate.lock().unwrap().clone();
    if let Some(gate) = gate {
        let _ = gate.acquire().await;
    }
    let _ = req.into_body().collect().await;
    Ok(Response::new(Full::new(Bytes::from_static(
        name.as_bytes(),
    ))))
}

/// A proxy serving on ephemeral ports, stopped by [`TestProxy::shutdown`].
pub struct TestProxy {
    pub proxy: Proxy,
    pub addr: SocketAddr,
    pub admin: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    pub served: Option<JoinHandle<Result<(), ProxyError>>>,
}

impl TestProxy {
    pub async fn start(table: RoutingTable) -> TestProxy {
        TestProxy::start_with(ProxyConfig::single(
            "web",
            "127.0.0.1:0".parse().unwrap(),
            table,
        ))
        .await
    }

    pub async fn start_with(config: ProxyConfig) -> TestProxy {
        let (proxy, server) = Proxy::bind(config).await.unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        let served = tokio::spawn(server.serve(async move {
            let _ = rx.await;
        }));
        TestProxy {
            addr: proxy.local_addr("web").unwrap(),
            admin: proxy.admin_addr().unwrap(),
            proxy,
            stop: Some(tx),
            served: Some(served),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Signals shutdown (as SIGTERM would) without waiting.
    pub fn begin_shutdown(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

/// Two upstreams named `stable` and `canary` and a table splitting them.
pub async fn two_arms(canary_percent: u32) -> (Upstream, Upstream, RoutingTable) {
    let stable = Upstream::start("stable").await;
    let canary = Upstream::start("canary").await;
    let table = RoutingTable::split(
        ("v1", &[&stable.endpoint()]),
        ("v2", &[&canary.endpoint()]),
        canary_percent,
    );
    (stable, canary, table)
}

/// A pooled HTTP/1.1 test client.
pub type TestClient = Client<HttpConnector, Empty<Bytes>>;

pub fn client() -> TestClient {
    Client::builder(TokioExecutor::new()).build_http()
}

/// A GET's status, response headers and body text.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

pub async fn get(client: &TestClient, url: &str, headers: &[(&str, &str)]) -> Answer {
    let mut req = Request::get(url).body(Empty::new()).unwrap();
    for (k, v) in headers {
        req.headers_mut().append(
            http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    let resp = client.request(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

/// Sends `n` GETs with up to `concurrency` at once; counts answers by body.
pub async fn tally(url: &str, n: usize, concurrency: usize) -> HashMap<String, usize> {
    let client = client();
    let next = Arc::new(AtomicU64::new(0));
    let mut tasks = JoinSet::new();
    for _ in 0..concurrency {
        let (client, next, url) = (client.clone(), next.clone(), url.to_owned());
        tasks.spawn(async move {
            let mut seen: HashMap<String, usize> = HashMap::new();
            while next.fetch_add(1, Ordering::SeqCst) < n as u64 {
                let a = get(&client, &url, &[]).await;
                let key = if a.status == StatusCode::OK {
                    a.body
                } else {
                    format!("status {}", a.status)
                };
                *seen.entry(key).or_default() += 1;
            }
            seen
        });
    }
    let mut all = HashMap::new();
    while let Some(seen) = tasks.join_next().await {
        for (k, v) in seen.unwrap() {
            *all.entry(k).or_default() += v;
        }
    }
    all
}

/// Polls `cond` until it holds; panics with `what` after `timeout`.
pub async fn eventually<F, Fut>(what: &str, timeout: Duration, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if cond().await {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// The two-sided binomial interval holding `p` of outcomes at 99.9%.
pub fn binomial_999(n: usize, p: f64) -> (f64, f64) {
    let mean = n as f64 * p;
    let half = 3.2905 * (n as f64 * p * (1.0 - p)).sqrt();
    (mean - half, mean + half)
}
