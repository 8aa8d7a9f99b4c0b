//! Connections to upstreams. HTTP/1.1 uses serin's own client ([`crate::h1`])
//! and keep-alive pool: each endpoint keeps a stack of idle connections, a
//! connection serves one exchange at a time and goes back when the response
//! body has been read to the end. Cleartext HTTP/2 uses one multiplexed
//! hyper-util client.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http::{Method, Request, Response};
use http_body::Body as _;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::body::{UpstreamBody, UpstreamResponse};
use crate::config::UpstreamConfig;
use crate::endpoint::Endpoint;
use crate::h1::body::{Home, ResponseBody};
use crate::h1::request::{BodyError, BodyPlan};
use crate::h1::{self, Conn, ReadError};
use crate::table::UpstreamProtocol;

/// Why an upstream exchange failed.
#[derive(Debug)]
pub(crate) enum SendError {
    /// No connection could be made: the request was never sent, so it is
    /// safe to send elsewhere. The HTTP/1.1 client gives it back (`unsent`);
    /// the h2c client cannot.
    Connect {
        why: String,
        unsent: Option<Box<Request<UpstreamBody>>>,
    },
    /// The exchange failed; the request may have reached the upstream.
    Exchange(String),
    /// No response headers within `upstream.responseTimeoutMs`.
    Timeout(Duration),
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::Connect { why, .. } => write!(f, "connect: {why}"),
            SendError::Exchange(e) => write!(f, "exchange: {e}"),
            SendError::Timeout(d) => write!(f, "no response within {d:?}"),
        }
    }
}

/// An idle HTTP/1.1 connection and when it became idle.
#[derive(Debug)]
pub(crate) struct IdleConn {
    conn: Conn,
    since: Instant,
}

/// Idle connections of one endpoint, newest last.
pub(crate) type IdlePool = Mutex<VecDeque<IdleConn>>;

/// Returns a connection whose exchange is complete to `endpoint`'s pool
/// (dropped, so closed, when the pool is full).
pub(crate) fn give_back(endpoint: &Endpoint, conn: Conn, max_idle: usize) {
    let mut idle = endpoint.idle.lock().unwrap_or_else(|p| p.into_inner());
    if idle.len() < max_idle {
        idle.push_back(IdleConn {
            conn,
            since: Instant::now(),
        });
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
    /// `endpoint` and returns the response head with its streaming body.
    pub(crate) async fn send(
        &self,
        endpoint: &Arc<Endpoint>,
        protocol: UpstreamProtocol,
        req: Request<UpstreamBody>,
    ) -> Result<Response<UpstreamResponse>, SendError> {
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
    ) -> Result<Response<UpstreamResponse>, SendError> {
        match protocol {
            UpstreamProtocol::H2c => match self.h2c.request(req).await {
                Ok(resp) => Ok(resp.map(UpstreamResponse::H2)),
                Err(e) if e.is_connect() => Err(SendError::Connect {
                    why: e.to_string(),
                    unsent: None,
                }),
                Err(e) => Err(SendError::Exchange(e.to_string())),
            },
            UpstreamProtocol::Http1 => self.send_http1(endpoint, req).await,
        }
    }

    /// One HTTP/1.1 exchange on a pooled (else new) connection. A pooled
    /// connection the upstream has just closed can take the request before
    /// the close is seen: the request is then written again on a new
    /// connection when that is safe — the head could not be written (the
    /// body is still unread), or a bodyless GET, HEAD or OPTIONS got no byte
    /// of answer. A request that cannot be resent is only written to a pooled
    /// connection that still looks open.
    async fn send_http1(
        &self,
        endpoint: &Arc<Endpoint>,
        req: Request<UpstreamBody>,
    ) -> Result<Response<UpstreamResponse>, SendError> {
        let (parts, body) = req.into_parts();
        let to_head = parts.method == Method::HEAD;
        let replayable = body.is_end_stream()
            && matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        // The head is encoded once, into the buffer of the first connection
        // tried, and moves with the request to a new connection.
        let plan = h1::request::plan(&parts, &body);
        let mut head = Vec::new();
        let mut body = Some(body);
        let mut fresh_only = false;
        loop {
            let pooled = if fresh_only {
                None
            } else {
                self.checkout(endpoint, replayable)
            };
            let (mut conn, fresh) = match pooled {
                Some(conn) => (conn, false),
                None => match self.connect(endpoint).await {
                    Ok(conn) => (conn, true),
                    Err(why) => {
                        let unsent = body.map(|b| Box::new(Request::from_parts(parts, b)));
                        return Err(SendError::Connect { why, unsent });
                    }
                },
            };
            if head.is_empty() {
                h1::request::encode_head(&parts, plan, &mut conn.wbuf);
            } else {
                std::mem::swap(&mut conn.wbuf, &mut head);
            }
            if let Err(e) = conn.stream.write_all(&conn.wbuf).await {
                if fresh {
                    return Err(SendError::Exchange(format!("writing the request: {e}")));
                }
                std::mem::swap(&mut conn.wbuf, &mut head);
                fresh_only = true;
                continue;
            }
            let mut cut_short = None;
            if let Some(body) = body.take_if(|_| plan != BodyPlan::None) {
                match h1::request::write_body(&mut conn.stream, body, plan).await {
                    Ok(()) => {}
                    // An upstream may answer (413, say) and stop reading before
                    // the body ends: its answer, if it sent one, is passed on.
                    Err(BodyError::Upstream(e)) => cut_short = Some(e.to_string()),
                    Err(e) => return Err(SendError::Exchange(e.to_string())),
                }
            }
            match conn.read_head(to_head).await {
                Ok(mut resp) => {
                    if cut_short.is_some() {
                        resp.keep_alive = false;
                    }
                    let home = Home {
                        endpoint: endpoint.clone(),
                        max_idle: self.max_idle,
                    };
                    let body = ResponseBody::new(conn, resp.framing, resp.keep_alive, home);
                    return Ok(Response::from_parts(resp.parts, UpstreamResponse::H1(body)));
                }
                Err(ReadError::Closed { received: false }) if !fresh && replayable => {
                    std::mem::swap(&mut conn.wbuf, &mut head);
                    fresh_only = true;
                }
                // No answer after a cut-short body: the write's error says why.
                Err(e) => {
                    return Err(SendError::Exchange(
                        cut_short.unwrap_or_else(|| e.to_string()),
                    ));
                }
            }
        }
    }

    /// The most recently idle connection of `endpoint` that is still within
    /// the idle timeout (and, when `trusting` is false, still looks open).
    fn checkout(&self, endpoint: &Endpoint, trusting: bool) -> Option<Conn> {
        let mut idle = endpoint.idle.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        while idle
            .front()
            .is_some_and(|c| now.duration_since(c.since) > self.idle_timeout)
        {
            idle.pop_front();
        }
        while let Some(IdleConn { conn, .. }) = idle.pop_back() {
            if trusting || conn.looks_open() {
                return Some(conn);
            }
        }
        None
    }

    /// A new connection to `endpoint`, or why none could be made.
    async fn connect(&self, endpoint: &Endpoint) -> Result<Conn, String> {
        let addr = endpoint.authority.as_str();
        let stream = tokio::time::timeout(self.connect_timeout, TcpStream::connect(addr))
            .await
            .map_err(|_| format!("{addr}: timed out"))?
            .map_err(|e| format!("{addr}: {e}"))?;
        let _ = stream.set_nodelay(true);
        Ok(Conn::new(stream))
    }
}
