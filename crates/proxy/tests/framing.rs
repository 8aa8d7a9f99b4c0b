//! Message framing through serin's HTTP/1.1 upstream client, against an
//! upstream that writes its answers byte for byte: chunked, close-delimited,
//! HEAD and large bodies reach the client intact; request bodies of known
//! and unknown length reach the upstream intact; a connection is reused only
//! when its response said it could be.
#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serin_proxy::RoutingTable;
use support::{TestProxy, client, get};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const BIG: usize = 1 << 20;

/// An upstream answering by path with fixed bytes; counts connections.
struct RawUpstream {
    addr: String,
    connections: Arc<AtomicU64>,
    closed: Arc<AtomicU64>,
}

impl RawUpstream {
    async fn start() -> RawUpstream {
        let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = tcp.local_addr().unwrap().to_string();
        let connections = Arc::new(AtomicU64::new(0));
        let closed = Arc::new(AtomicU64::new(0));
        let (count, ended) = (connections.clone(), closed.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = tcp.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                let ended = ended.clone();
                tokio::spawn(async move {
                    serve(stream).await;
                    ended.fetch_add(1, Ordering::SeqCst);
                });
            }
        });
        RawUpstream {
            addr,
            connections,
            closed,
        }
    }

    fn connections(&self) -> u64 {
        self.connections.load(Ordering::SeqCst)
    }
}

/// Answers requests on one connection until it must close. Request bodies
/// are read by their Content-Length or chunks and echoed by `/echo`.
async fn serve(mut stream: TcpStream) {
    let mut buf = Vec::new();
    loop {
        let Some((method, path, length, chunked)) = read_head(&mut stream, &mut buf).await else {
            return;
        };
        if path == "/early" {
            // Refuses at the head and closes without reading the body.
            let _ = stream
                .write_all(b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 8\r\n\r\ntoo big!")
                .await;
            return;
        }
        let body = if chunked {
            read_chunked(&mut stream, &mut buf).await
        } else {
            read_exact(&mut stream, &mut buf, length).await
        };
        let Some(body) = body else { return };
        let (answer, close): (Vec<u8>, bool) = match path.as_str() {
            "/chunked" => (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;x=y\r\n world\r\n0\r\nX-T: 1\r\n\r\n".to_vec(),
                false,
            ),
            // Kept alive by its headers, then closed anyway (an upstream's
            // idle timeout firing just after a response).
            "/then-close" => (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".to_vec(), true),
            "/close" => (
                b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nread until close".to_vec(),
                true,
            ),
            "/big" => {
                let mut a = format!("HTTP/1.1 200 OK\r\nContent-Length: {BIG}\r\n\r\n").into_bytes();
                a.extend((0..BIG).map(|i| (i % 251) as u8));
                (a, false)
            }
            "/echo" => {
                let mut a = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
                a.extend_from_slice(&body);
                (a, false)
            }
            _ if method == "HEAD" => (
                b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Head: yes\r\n\r\n".to_vec(),
                false,
            ),
            _ => (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".to_vec(), false),
        };
        if stream.write_all(&answer).await.is_err() || close {
            return;
        }
    }
}

async fn fill(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<()> {
    let mut chunk = [0u8; 16 * 1024];
    let n = stream.read(&mut chunk).await.ok()?;
    (n > 0).then(|| buf.extend_from_slice(&chunk[..n]))
}

async fn read_line(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<String> {
    loop {
        if let Some(i) = buf.windows(2).position(|w| w == b"\r\n") {
            let line = String::from_utf8(buf[..i].to_vec()).ok()?;
            buf.drain(..i + 2);
            return Some(line);
        }
        fill(stream, buf).await?;
    }
}

async fn read_head(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
) -> Option<(String, String, usize, bool)> {
    let request_line = read_line(stream, buf).await?;
    let mut parts = request_line.split(' ');
    let (method, path) = (parts.next()?.to_owned(), parts.next()?.to_owned());
    let (mut length, mut chunked) = (0, false);
    loop {
        let line = read_line(stream, buf).await?;
        if line.is_empty() {
            return Some((method, path, length, chunked));
        }
        let (name, value) = line.split_once(':')?;
        match name.to_ascii_lowercase().as_str() {
            "content-length" => length = value.trim().parse().ok()?,
            "transfer-encoding" => chunked = value.trim().eq_ignore_ascii_case("chunked"),
            _ => {}
        }
    }
}

async fn read_exact(stream: &mut TcpStream, buf: &mut Vec<u8>, n: usize) -> Option<Vec<u8>> {
    while buf.len() < n {
        fill(stream, buf).await?;
    }
    Some(buf.drain(..n).collect())
}

async fn read_chunked(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let size = usize::from_str_radix(read_line(stream, buf).await?.trim(), 16).ok()?;
        if size == 0 {
            while !read_line(stream, buf).await?.is_empty() {}
            return Some(body);
        }
        body.extend(read_exact(stream, buf, size).await?);
        read_line(stream, buf).await?;
    }
}

async fn proxy_to(upstream: &RawUpstream) -> TestProxy {
    TestProxy::start(RoutingTable::split(
        ("v1", &[&upstream.addr]),
        ("v2", &[&upstream.addr]),
        0,
    ))
    .await
}

#[tokio::test]
async fn a_chunked_response_reaches_the_client_decoded_and_the_connection_is_reused() {
    let up = RawUpstream::start().await;
    let p = proxy_to(&up).await;
    let c = client();
    for _ in 0..5 {
        let a = get(&c, &p.url("/chunked"), &[]).await;
        assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "hello world"));
    }
    assert_eq!(up.connections(), 1);
}

#[tokio::test]
async fn a_body_ended_by_close_is_forwarded_whole_and_the_connection_is_not_reused() {
    let up = RawUpstream::start().await;
    let p = proxy_to(&up).await;
    let c = client();
    for _ in 0..3 {
        let a = get(&c, &p.url("/close"), &[]).await;
        assert_eq!(a.body, "read until close");
    }
    assert_eq!(up.connections(), 3);
}

#[tokio::test]
async fn a_head_response_has_no_body_and_keeps_the_connection() {
    let up = RawUpstream::start().await;
    let p = proxy_to(&up).await;
    let c = client();
    for _ in 0..3 {
        let req = Request::builder()
            .method(Method::HEAD)
            .uri(p.url("/"))
            .body(http_body_util::Empty::<Bytes>::new())
            .unwrap();
        let resp = c.request(req).await.unwrap();
        assert_eq!(resp.headers()["x-head"], "yes");
        assert_eq!(resp.headers()["content-length"], "5");
        assert!(
            resp.into_body()
                .collect()
                .await
                .unwrap()
                .to_bytes()
                .is_empty()
        );
        assert_eq!(get(&c, &p.url("/"), &[]).await.body, "ok");
    }
    assert_eq!(up.connections(), 1);
}

#[tokio::test]
async fn a_large_body_arrives_byte_for_byte() {
    let up = RawUpstream::start().await;
    let p = proxy_to(&up).await;
    let resp = client()
        .request(
            Request::get(p.url("/big"))
                .body(http_body_util::Empty::new())
                .unwrap(),
        )
        .await
        .unwrap();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(body.len(), BIG);
    assert!(body.iter().enumerate().all(|(i, b)| *b == (i % 251) as u8));
}

#[tokio::test]
async fn request_bodies_of_known_and_unknown_length_reach_the_upstream_intact() {
    let up = RawUpstream::start().await;
    let p = proxy_to(&up).await;
    let sized: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let payload: Vec<u8> = (0..100_000).map(|i| (i % 253) as u8).collect();
    let resp = sized
        .request(
            Request::post(p.url("/echo"))
                .body(Full::new(Bytes::from(payload.clone())))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        resp.into_body().collect().await.unwrap().to_bytes(),
        payload
    );

    // No length: the client sends chunks, serin sends chunks on.
    type Chunks = StreamBody<futures_stream::Chunks>;
    let chunked: Client<_, Chunks> = Client::builder(TokioExecutor::new()).build_http();
    let parts = vec![
        Bytes::from_static(b"first,"),
        Bytes::from_static(b"second,"),
        Bytes::from_static(b"third"),
    ];
    let resp = chunked
        .request(
            Request::post(p.url("/echo"))
                .body(StreamBody::new(futures_stream::Chunks(parts)))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        resp.into_body().collect().await.unwrap().to_bytes(),
        "first,second,third"
    );
}

/// A body stream of fixed chunks, with no length known in advance.
mod futures_stream {
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use super::{Bytes, Frame};

    pub struct Chunks(pub Vec<Bytes>);

    impl futures_core::Stream for Chunks {
        type Item = Result<Frame<Bytes>, std::convert::Infallible>;

        fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            let this = self.get_mut();
            Poll::Ready((!this.0.is_empty()).then(|| Ok(Frame::data(this.0.remove(0)))))
        }
    }
}

#[tokio::test]
async fn a_post_never_goes_to_a_pooled_connection_the_upstream_has_closed() {
    let up = RawUpstream::start().await;
    let p = proxy_to(&up).await;
    assert_eq!(get(&client(), &p.url("/then-close"), &[]).await.body, "ok");
    support::eventually(
        "the upstream closed its side",
        Duration::from_secs(5),
        || async { up.closed.load(Ordering::SeqCst) == 1 },
    )
    .await;
    // The pooled connection looks reusable to its headers, but is closed: a
    // POST cannot be resent once written, so serin must not write it there.
    let posting: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let resp = posting
        .request(
            Request::post(p.url("/echo"))
                .body(Full::new(Bytes::from_static(b"once")))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.into_body().collect().await.unwrap().to_bytes(), "once");
    assert_eq!(up.connections(), 2);
}

#[tokio::test]
async fn an_upstream_that_answers_before_reading_the_body_has_its_answer_passed_on() {
    let up = RawUpstream::start().await;
    let p = proxy_to(&up).await;
    let posting: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let big = Bytes::from(vec![7u8; 16 << 20]);
    let resp = posting
        .request(Request::post(p.url("/early")).body(Full::new(big)).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn a_post_whose_endpoint_refuses_the_connection_goes_whole_to_another() {
    let up = RawUpstream::start().await;
    let dead = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead_addr = dead.local_addr().unwrap().to_string();
    drop(dead);
    let p = TestProxy::start(RoutingTable::split(
        ("v1", &[&dead_addr, &up.addr]),
        ("v2", &[&up.addr]),
        0,
    ))
    .await;
    let posting: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    // Round robin: one of any two requests is first sent to the dead endpoint.
    for body in ["first", "second"] {
        let resp = posting
            .request(
                Request::post(p.url("/echo"))
                    .body(Full::new(Bytes::from_static(body.as_bytes())))
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.into_body().collect().await.unwrap().to_bytes(), body);
    }
}
