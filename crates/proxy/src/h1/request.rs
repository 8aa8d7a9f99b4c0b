//! Writing a request to an upstream: the head (origin-form target, the
//! prepared headers, and the framing header the body needs) and the body,
//! chunk-encoded when its length is unknown.

use std::io::Write as _;

use http::header;
use http::request::Parts;
use http_body::Body;
use http_body_util::BodyExt;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::body::UpstreamBody;

/// How the body follows the head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyPlan {
    /// No body.
    None,
    /// The bytes as they are, framed by the client's Content-Length.
    Raw,
    /// The bytes as they are, with a Content-Length serin adds.
    Sized(u64),
    /// Chunk-encoded.
    Chunked,
}

/// How `body` will follow the head of `parts`.
pub(crate) fn plan(parts: &Parts, body: &UpstreamBody) -> BodyPlan {
    if body.is_end_stream() {
        BodyPlan::None
    } else if parts.headers.contains_key(header::CONTENT_LENGTH) {
        BodyPlan::Raw
    } else if let Some(n) = body.size_hint().exact() {
        BodyPlan::Sized(n)
    } else {
        BodyPlan::Chunked
    }
}

/// Encodes `parts` as an HTTP/1.1 request head into `out` (cleared first),
/// with the framing header `plan` needs.
pub(crate) fn encode_head(parts: &Parts, plan: BodyPlan, out: &mut Vec<u8>) {
    out.clear();
    let target = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    out.extend_from_slice(parts.method.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(target.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\n");
    for (name, value) in &parts.headers {
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    match plan {
        BodyPlan::None | BodyPlan::Raw => {}
        BodyPlan::Sized(n) => {
            let _ = write!(out, "content-length: {n}\r\n");
        }
        BodyPlan::Chunked => out.extend_from_slice(b"transfer-encoding: chunked\r\n"),
    }
    out.extend_from_slice(b"\r\n");
}

/// A request body that could not be sent.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BodyError {
    /// Reading the client's body failed.
    #[error("reading the client's body: {0}")]
    Client(String),
    /// Writing to the upstream failed.
    #[error("writing the body upstream: {0}")]
    Upstream(#[from] std::io::Error),
}

/// Streams `body` to the upstream as `plan` says.
pub(crate) async fn write_body(
    stream: &mut TcpStream,
    mut body: UpstreamBody,
    plan: BodyPlan,
) -> Result<(), BodyError> {
    if plan == BodyPlan::None {
        return Ok(());
    }
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| BodyError::Client(e.to_string()))?;
        let Ok(data) = frame.into_data() else {
            continue; // trailers are not forwarded
        };
        if data.is_empty() {
            continue;
        }
        if plan == BodyPlan::Chunked {
            let size = format!("{:x}\r\n", data.len());
            stream.write_all(size.as_bytes()).await?;
            stream.write_all(&data).await?;
            stream.write_all(b"\r\n").await?;
        } else {
            stream.write_all(&data).await?;
        }
    }
    if plan == BodyPlan::Chunked {
        stream.write_all(b"0\r\n\r\n").await?;
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use bytes::Bytes;
    use http::{Method, Request};
    use http_body_util::{Either, Full};

    use super::*;

    fn head_of(req: Request<UpstreamBody>) -> (String, BodyPlan) {
        let (parts, body) = req.into_parts();
        let mut out = Vec::new();
        let plan = plan(&parts, &body);
        encode_head(&parts, plan, &mut out);
        (String::from_utf8(out).unwrap(), plan)
    }

    fn full(bytes: &'static [u8]) -> UpstreamBody {
        Either::Right(Full::new(Bytes::from_static(bytes)))
    }

    #[test]
    fn a_bodyless_get_is_its_request_line_and_headers() {
        let req = Request::builder()
            .method(Method::GET)
            .uri("/a/b?c=1")
            .header("host", "example")
            .header("x-id", "7")
            .body(full(b""))
            .unwrap();
        let (head, plan) = head_of(req);
        assert_eq!(
            head,
            "GET /a/b?c=1 HTTP/1.1\r\nhost: example\r\nx-id: 7\r\n\r\n"
        );
        assert_eq!(plan, BodyPlan::None);
    }

    #[test]
    fn a_body_of_known_size_gets_a_content_length() {
        let req = Request::builder()
            .method(Method::POST)
            .uri("/")
            .body(full(b"hello"))
            .unwrap();
        let (head, plan) = head_of(req);
        assert_eq!(head, "POST / HTTP/1.1\r\ncontent-length: 5\r\n\r\n");
        assert_eq!(plan, BodyPlan::Sized(5));
    }

    #[test]
    fn the_clients_content_length_is_kept_not_repeated() {
        let req = Request::builder()
            .method(Method::PUT)
            .uri("/")
            .header("content-length", "5")
            .body(full(b"hello"))
            .unwrap();
        let (head, plan) = head_of(req);
        assert_eq!(head.matches("content-length").count(), 1);
        assert_eq!(plan, BodyPlan::Raw);
    }
}
