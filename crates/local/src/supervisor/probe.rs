//! One HTTP probe: `GET path` on `127.0.0.1:port` over a fresh HTTP/1.1
//! connection; passes on a 2xx or 3xx answer within the timeout.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Empty;
use hyper::Request;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// Runs one probe; `Err` says why it failed.
pub async fn check(port: u16, path: &str, timeout: Duration) -> Result<(), String> {
    match tokio::time::timeout(timeout, get(port, path)).await {
        Ok(Ok(status)) if (200..400).contains(&status) => Ok(()),
        Ok(Ok(status)) => Err(format!("GET {path} answered {status}")),
        Ok(Err(e)) => Err(format!("GET {path}: {e}")),
        Err(_) => Err(format!("GET {path}: no answer within {timeout:?}")),
    }
}

/// The status of `GET path`.
async fn get(port: u16, path: &str) -> Result<u16, String> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    let conn = tokio::spawn(conn);
    let req = Request::get(path)
        .header(hyper::header::HOST, addr.to_string())
        .header(hyper::header::USER_AGENT, "serin-probe")
        .body(Empty::<Bytes>::new())
        .map_err(|e| e.to_string())?;
    let res = sender.send_request(req).await.map_err(|e| e.to_string());
    conn.abort();
    Ok(res?.status().as_u16())
}
