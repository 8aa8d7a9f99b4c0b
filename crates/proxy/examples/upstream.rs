//! A small, fast upstream for benchmarks and manual runs: answers every
//! request on each given address with a fixed body naming the address.
//!
//! ```text
//! cargo run --release -p serin-proxy --example upstream -- 127.0.0.1:9001 127.0.0.1:9002 [--workers N]
//! ```

use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::ExitCode;

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let workers = args
        .iter()
        .position(|a| a == "--workers")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(1);
    let addrs: Vec<SocketAddr> = args.iter().filter_map(|a| a.parse().ok()).collect();
    if addrs.is_empty() {
        eprintln!("usage: upstream ADDR... [--workers N]");
        return ExitCode::from(2);
    }
    let runtime = serin_proxy::build_runtime(workers);
    let Ok(runtime) = runtime else {
        eprintln!("cannot start the runtime");
        return ExitCode::FAILURE;
    };
    runtime.block_on(async move {
        let mut tasks = Vec::new();
        for addr in addrs {
            let tcp = match TcpListener::bind(addr).await {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("cannot listen on {addr}: {e}");
                    return ExitCode::FAILURE;
                }
            };
            tasks.push(tokio::spawn(serve(tcp, addr)));
        }
        for t in tasks {
            let _ = t.await;
        }
        ExitCode::SUCCESS
    })
}

async fn serve(tcp: TcpListener, addr: SocketAddr) {
    let body = Bytes::from(format!("hello from {addr}\n"));
    let builder = auto::Builder::new(TokioExecutor::new());
    loop {
        let Ok((stream, _)) = tcp.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let body = body.clone();
        let service = service_fn(move |_req: Request<hyper::body::Incoming>| {
            let body = body.clone();
            async move { Ok::<_, Infallible>(Response::new(Full::new(body))) }
        });
        let conn = builder
            .serve_connection(TokioIo::new(stream), service)
            .into_owned();
        tokio::spawn(async move {
            let _ = conn.await;
        });
    }
}
