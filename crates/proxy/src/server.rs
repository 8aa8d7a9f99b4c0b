//! The accept loop of one listener: HTTP/1.1 and h2c (prior knowledge,
//! detected per connection by hyper-util's auto server), and graceful
//! shutdown that stops accepting and lets in-flight requests finish.

use std::sync::Arc;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::forward;
use crate::listener::ListenerShared;

/// Accepts until `stop` turns true, then waits for open connections to
/// finish their in-flight requests (the caller bounds that wait).
pub(crate) async fn serve(
    tcp: TcpListener,
    shared: Arc<ListenerShared>,
    mut stop: watch::Receiver<bool>,
) {
    let graceful = GracefulShutdown::new();
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // One buffer per response, one plain write: small responses (the common
    // case behind a proxy) cost less than a two-part writev.
    builder.http1().writev(false);
    loop {
        let accepted = tokio::select! {
            accepted = tcp.accept() => accepted,
            _ = stop.wait_for(|s| *s) => break,
        };
        let (stream, peer) = match accepted {
            Ok(conn) => conn,
            Err(e) => {
                // Out of descriptors and the like: back off briefly, keep serving.
                tracing::warn!(listener = %shared.name, error = %e, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let client_ip = peer.ip();
        let handler = shared.clone();
        let service = service_fn(move |req| forward::handle(handler.clone(), client_ip, req));
        let conn = builder
            .serve_connection(TokioIo::new(stream), service)
            .into_owned();
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "client connection ended with an error");
            }
        });
    }
    drop(tcp);
    graceful.shutdown().await;
}
