//! The keep-alive connection pools towards upstreams: one hyper-util client
//! speaking HTTP/1.1 and one speaking HTTP/2 with prior knowledge.

use std::time::Duration;

use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};

use crate::body::UpstreamBody;
use crate::config::UpstreamConfig;
use crate::table::UpstreamProtocol;

/// A pooled client for one protocol.
pub(crate) type PoolClient = Client<HttpConnector, UpstreamBody>;

/// The upstream clients shared by every listener.
#[derive(Clone, Debug)]
pub(crate) struct Clients {
    http1: PoolClient,
    h2c: PoolClient,
}

impl Clients {
    pub(crate) fn new(config: &UpstreamConfig) -> Clients {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(Duration::from_millis(config.connect_timeout_ms)));
        connector.enforce_http(true);
        let mut builder = Client::builder(TokioExecutor::new());
        builder
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(Duration::from_millis(config.pool_idle_timeout_ms))
            .pool_max_idle_per_host(config.pool_max_idle_per_host);
        let http1 = builder.build(connector.clone());
        let h2c = builder.http2_only(true).build(connector);
        Clients { http1, h2c }
    }

    pub(crate) fn get(&self, protocol: UpstreamProtocol) -> &PoolClient {
        match protocol {
            UpstreamProtocol::Http1 => &self.http1,
            UpstreamProtocol::H2c => &self.h2c,
        }
    }
}
