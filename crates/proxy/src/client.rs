//! Connections to upstreams. HTTP/1.1 uses serin's own keep-alive pool: each
//! endpoint keeps a stack of idle connections, a connection is leased for one
//! exchange and given back when the response body has been read to the end.
//! Cleartext HTTP/2 uses one multiplexed hyper-util client.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http::{Request, Response};
use hyper::body::Incoming;
use hyper::client::conn::http1;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::net::TcpStream;

use crate::body::UpstreamBody;
use crate::config::UpstreamConfig;
use crate::endpoint::Endpoint;
use crate::table::UpstreamProtocol;

/// Why an upstream exchange failed.
#[derive(Debug)]
pub(crate) enum SendError {
    /// No connection could be made: the request was never sent, so it is
    /// safe to send elsewhere.
    Connect(String),
    /// The exchange failed; the request may have reached the upstream.
    Exchange(String),
    /// No response headers within `upstream.responseTimeoutMs`.
    Timeout(Duration),
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::Connect(e) => write!(f, "connect: {e}"),
            SendError::Exchange(e) => write!(f, "exchange: {e}"),
            SendError::Timeout(d) => write!(f, "no response within {d:?}"),
        }
    }
}

/// An idle HTTP/1.1 connection and when it became idle.
#[derive(Debug)]
pub(crate) struct IdleConn {
    sender: http1::SendRequest<UpstreamBody>,
    since: Instant,
}

/// Idle connections of one endpoint, newest last.
pub(crate) type IdlePool = Mutex<VecDeque<IdleConn>>;

/// A connection leased for one exchange; [`Lease::release`] gives it back.
#[derive(Debug)]
pub(crate) struct Lease {
    sender: http1::SendRequest<UpstreamBody>,
    endpoint: Arc<Endpoint>,
    max_idle: usize,
}

impl Lease {
    /// Returns the connection to its endpoint's pool (call once the response
    /// body has been read to the end; dropping a lease closes the connection).
    pub(crate) fn release(self) {
        if self.sender.is_closed() {
            return;
        }
        let mut idle = self.endpoint.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < self.max_idle {
            idle.push_back(IdleConn {
                sender: self.sender,
                since: Instant::now(),
            });
        }
    }
}

/// The upstream clients shared by every listener.
#[derive(Clone, Debug)]
pub(crate) struct Clients {
    h2c: Client<HttpConnector, UpstreamBody>,
    connect_timeout: Duration,
    response_timeout: Option<Duration>,
    idle_timeout: Duration,
    max_idle: usize,
}

impl Clients {
    pub(crate) fn new(config: &UpstreamConfig) -> Clients {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(Duration::from_millis(config.connect_timeout_ms)));
        let h2c = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(Duration::from_millis(config.pool_idle_timeout_ms))
            .http2_only(true)
            .build(connector);
        Clients {
            h2c,
            connect_timeout: Duration::from_millis(config.connect_timeout_ms),
            response_timeout: config.response_timeout_ms.map(Duration::from_millis),
            idle_timeout: Duration::from_millis(config.pool_idle_timeout_ms),
            max_idle: config.pool_max_idle_per_host,
        }
    }

    /// Sends `req` (prepared by [`crate::forward::prepare_upstream`]) to
    /// `endpoint`. An HTTP/1.1 response comes with the lease of its connection.
    pub(crate) async fn send(
        &self,
        endpoint: &Arc<Endpoint>,
        protocol: UpstreamProtocol,
        req: Request<UpstreamBody>,
    ) -> Result<(Response<Incoming>, Option<Lease>), SendError> {
        match self.response_timeout {
            None => self.send_now(endpoint, protocol, req).await,
            Some(limit) => tokio::time::timeout(limit, self.send_now(endpoint, protocol, req))
                .await
                .unwrap_or_else(|_| Err(SendError::Timeout(limit))),
        }
    }

    async fn send_now(
        &self,
        endpoint: &Arc<Endpoint>,
        protocol: UpstreamProtocol,
        req: Request<UpstreamBody>,
    ) -> Result<(Response<Incoming>, Option<Lease>), SendError> {
        match protocol {
            UpstreamProtocol::H2c => match self.h2c.request(req).await {
                Ok(resp) => Ok((resp, None)),
                Err(e) if e.is_connect() => Err(SendError::Connect(e.to_string())),
                Err(e) => Err(SendError::Exchange(e.to_string())),
            },
            UpstreamProtocol::Http1 => self.send_http1(endpoint, req).await,
        }
    }

    async fn send_http1(
        &self,
        endpoint: &Arc<Endpoint>,
        mut req: Request<UpstreamBody>,
    ) -> Result<(Response<Incoming>, Option<Lease>), SendError> {
        // A pooled connection the upstream has just closed can look ready
        // and take the request before the close is seen; a bodyless
        // idempotent request is then safe to send once more, on a new
        // connection.
        let mut replay = Replay::of(&req);
        let mut fresh_only = false;
        loop {
            let pooled = if fresh_only {
                None
            } else {
                self.checkout(endpoint).await
            };
            let (mut sender, fresh) = match pooled {
                Some(sender) => (sender, false),
                None => (self.connect(endpoint).await?, true),
            };
            match sender.try_send_request(req).await {
                Ok(resp) => {
                    let lease = Lease {
                        sender,
                        endpoint: endpoint.clone(),
                        max_idle: self.max_idle,
                    };
                    return Ok((resp, Some(lease)));
                }
                Err(mut e) => match (e.take_message(), replay.take()) {
                    // A pooled connection closed before the request was
                    // written: nothing was sent, so try another connection.
                    (Some(unsent), _) if !fresh => req = unsent,
                    // Sent on a pooled connection that then closed.
                    (None, Some(head)) if !fresh => {
                        req = head.request();
                        fresh_only = true;
                    }
                    _ => return Err(SendError::Exchange(e.into_error().to_string())),
                },
            }
        }
    }

    /// The most recently idle live connection of `endpoint`, if any.
    async fn checkout(&self, endpoint: &Endpoint) -> Option<http1::SendRequest<UpstreamBody>> {
        loop {
            let conn = {
                let mut idle = endpoint.idle.lock().unwrap_or_else(|p| p.into_inner());
                let now = Instant::now();
                while idle
                    .front()
                    .is_some_and(|c| now.duration_since(c.since) > self.idle_timeout)
                {
                    idle.pop_front();
                }
                idle.pop_back()?
            };
            let mut sender = conn.sender;
            if sender.is_closed() {
                continue;
            }
            if sender.is_ready() || sender.ready().await.is_ok() {
                return Some(sender);
            }
        }
    }

    async fn connect(
        &self,
        endpoint: &Endpoint,
    ) -> Result<http1::SendRequest<UpstreamBody>, SendError> {
        let addr = endpoint.authority.as_str();
        let stream = tokio::time::timeout(self.connect_timeout, TcpStream::connect(addr))
            .await
            .map_err(|_| SendError::Connect(format!("{addr}: timed out")))?
            .map_err(|e| SendError::Connect(format!("{addr}: {e}")))?;
        let _ = stream.set_nodelay(true);
        let (sender, conn) = http1::Builder::new()
            .handshake(TokioIo::new(stream))
            .await
            .map_err(|e| SendError::Connect(format!("{addr}: {e}")))?;
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "upstream connection ended with an error");
            }
        });
        Ok(sender)
    }
}

/// The head of a bodyless idempotent request, kept to send it again.
struct Replay(http::request::Parts);

impl Replay {
    /// The head of `req` when it may be sent twice: GET, HEAD or OPTIONS
    /// with no body.
    fn of(req: &Request<UpstreamBody>) -> Option<Self> {
        use hyper::body::Body as _;
        let idempotent = matches!(
            *req.method(),
            http::Method::GET | http::Method::HEAD | http::Method::OPTIONS
        );
        if !idempotent || !req.body().is_end_stream() {
            return None;
        }
        let mut copy = Request::new(());
        *copy.method_mut() = req.method().clone();
        *copy.uri_mut() = req.uri().clone();
        *copy.version_mut() = req.version();
        *copy.headers_mut() = req.headers().clone();
        Some(Self(copy.into_parts().0))
    }

    /// The request again, with an empty body.
    fn request(self) -> Request<UpstreamBody> {
        Request::from_parts(
            self.0,
            http_body_util::Either::Right(http_body_util::Full::new(bytes::Bytes::new())),
        )
    }
}
