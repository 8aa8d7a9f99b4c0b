//! The drain callback: before a ready replica is stopped, the supervisor
//! asks the daemon to take it out of the proxy and wait for its in-flight
//! requests. The daemon implements [`Drainer`] with the proxy's in-process
//! API; the supervisor stops waiting after `drainSeconds` in any case.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;

/// The future a [`Drainer`] returns.
pub type DrainFuture<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// Takes a replica out of traffic before it is stopped.
pub trait Drainer: Send + Sync + 'static {
    /// Stops sending new requests to `endpoint` (a replica of `version`)
    /// and resolves once none is in flight to it. The supervisor gives up
    /// waiting after `within`.
    fn drain<'a>(
        &'a self,
        version: &'a str,
        endpoint: SocketAddr,
        within: Duration,
    ) -> DrainFuture<'a>;
}

/// A drainer for replicas no proxy sends traffic to: returns at once.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoDrain;

impl Drainer for NoDrain {
    fn drain<'a>(&'a self, _: &'a str, _: SocketAddr, _: Duration) -> DrainFuture<'a> {
        Box::pin(async {})
    }
}
