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
        loop {
            let (mut sender, fresh) = match self.checkout(endpoint).await {
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
                Err(mut e) => match e.take_message() {
                    // A pooled connection closed before the request was
                    // written: nothing was sent, so try another connection.
                    Some(unsent) if !fresh => req = unsent,
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
