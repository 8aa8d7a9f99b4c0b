//! Reading an upstream's response head: the status and headers (values share
//! the read buffer, they are not copied), whether the connection may be kept,
//! and how the body is framed. Interim 1xx responses are skipped.

use std::mem::MaybeUninit;

use bytes::BytesMut;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Response, StatusCode, Version};

/// Most headers a response may have.
const MAX_HEADERS: usize = 100;
/// Longest response head accepted.
pub(crate) const MAX_HEAD: usize = 64 * 1024;

/// How a response body ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// After this many bytes.
    Length(u64),
    /// At the last chunk.
    Chunked,
    /// When the upstream closes the connection.
    Eof,
}

/// A parsed response head.
#[derive(Debug)]
pub(crate) struct Head {
    pub(crate) parts: http::response::Parts,
    pub(crate) framing: Framing,
    /// The connection may serve another request once the body is read.
    pub(crate) keep_alive: bool,
}

/// A response head that cannot be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum HeadError {
    /// Not HTTP/1.x.
    #[error("malformed response head: {0}")]
    Malformed(httparse::Error),
    /// Longer than the limit.
    #[error("response head longer than {MAX_HEAD} bytes")]
    TooLarge,
    /// A header httparse accepted but `http` does not.
    #[error("invalid response header")]
    Header,
    /// Conflicting or non-numeric Content-Length.
    #[error("invalid content-length")]
    ContentLength,
    /// 101 Switching Protocols: upgrades are not forwarded.
    #[error("unexpected 101 switching protocols")]
    Upgrade,
}

/// Parses the head at the start of `buf` and removes it from `buf`; `None`
/// when `buf` does not yet hold a whole head. `to_head` says the request was
/// HEAD (the response then has no body whatever its headers say).
pub(crate) fn parse(buf: &mut BytesMut, to_head: bool) -> Result<Option<Head>, HeadError> {
    loop {
        let Some((len, status, version, spans)) = locate(buf)? else {
            return Ok(None);
        };
        if status.is_informational() {
            if status == StatusCode::SWITCHING_PROTOCOLS {
                return Err(HeadError::Upgrade);
            }
            let _ = buf.split_to(len);
            continue;
        }
        let head = buf.split_to(len).freeze();
        let mut headers = HeaderMap::with_capacity(spans.len());
        for (name, value) in spans {
            let name =
                HeaderName::from_bytes(&head[name.0..name.1]).map_err(|_| HeadError::Header)?;
            let value = HeaderValue::from_maybe_shared(head.slice(value.0..value.1))
                .map_err(|_| HeadError::Header)?;
            headers.append(name, value);
        }
        let keep_alive = keep_alive(version, &headers);
        let framing = framing(status, to_head, &headers)?;
        let mut response = Response::new(());
        *response.status_mut() = status;
        *response.version_mut() = version;
        *response.headers_mut() = headers;
        let (parts, ()) = response.into_parts();
        let keep_alive = keep_alive && framing != Framing::Eof;
        return Ok(Some(Head {
            parts,
            framing,
            keep_alive,
        }));
    }
}

type Span = (usize, usize);

/// Where the head ends, its status and version, and each header's name and
/// value as offsets into `buf`.
#[allow(clippy::type_complexity)]
fn locate(
    buf: &[u8],
) -> Result<Option<(usize, StatusCode, Version, Vec<(Span, Span)>)>, HeadError> {
    // Left uninitialised: httparse writes only the headers it finds.
    let mut headers = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut []);
    let parsed = httparse::ParserConfig::default().parse_response_with_uninit_headers(
        &mut response,
        buf,
        &mut headers,
    );
    let len = match parsed {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) if buf.len() >= MAX_HEAD => return Err(HeadError::TooLarge),
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(HeadError::Malformed(e)),
    };
    let status = response
        .code
        .and_then(|c| StatusCode::from_u16(c).ok())
        .ok_or(HeadError::Malformed(httparse::Error::Status))?;
    let version = if response.version == Some(0) {
        Version::HTTP_10
    } else {
        Version::HTTP_11
    };
    let base = buf.as_ptr() as usize;
    let offset = |s: &[u8]| {
        let start = s.as_ptr() as usize - base;
        (start, start + s.len())
    };
    let spans = response
        .headers
        .iter()
        .map(|h| (offset(h.name.as_bytes()), offset(h.value)))
        .collect();
    Ok(Some((len, status, version, spans)))
}

fn keep_alive(version: Version, headers: &HeaderMap) -> bool {
    let has = |token: &str| {
        headers.get_all(header::CONNECTION).iter().any(|v| {
            v.to_str()
                .unwrap_or("")
                .split(',')
                .any(|t| t.trim().eq_ignore_ascii_case(token))
        })
    };
    if version == Version::HTTP_10 {
        has("keep-alive")
    } else {
        !has("close")
    }
}

/// RFC 9112 section 6.3, for responses.
fn framing(status: StatusCode, to_head: bool, headers: &HeaderMap) -> Result<Framing, HeadError> {
    if to_head || status == StatusCode::NO_CONTENT || status == StatusCode::NOT_MODIFIED {
        return Ok(Framing::Length(0));
    }
    if let Some(te) = headers
        .get_all(header::TRANSFER_ENCODING)
        .iter()
        .next_back()
    {
        let last = te.to_str().unwrap_or("").rsplit(',').next().unwrap_or("");
        return Ok(if last.trim().eq_ignore_ascii_case("chunked") {
            Framing::Chunked
        } else {
            Framing::Eof
        });
    }
    let mut length = None;
    for value in headers.get_all(header::CONTENT_LENGTH) {
        for part in value
            .to_str()
            .map_err(|_| HeadError::ContentLength)?
            .split(',')
        {
            let part = part.trim();
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(HeadError::ContentLength);
            }
            let n: u64 = part.parse().map_err(|_| HeadError::ContentLength)?;
            if length.is_some_and(|l| l != n) {
                return Err(HeadError::ContentLength);
            }
            length = Some(n);
        }
    }
    Ok(length.map_or(Framing::Eof, Framing::Length))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn parse_all(input: &[u8], to_head: bool) -> (Head, BytesMut) {
        let mut buf = BytesMut::from(input);
        let head = parse(&mut buf, to_head).unwrap().unwrap();
        (head, buf)
    }

    #[test]
    fn reads_status_headers_and_length_and_leaves_the_body() {
        let (head, rest) = parse_all(
            b"HTTP/1.1 201 Created\r\nContent-Length: 5\r\nX-A: 1\r\nX-A: 2\r\n\r\nhello",
            false,
        );
        assert_eq!(head.parts.status, StatusCode::CREATED);
        assert_eq!(head.framing, Framing::Length(5));
        assert!(head.keep_alive);
        let values: Vec<_> = head.parts.headers.get_all("x-a").iter().collect();
        assert_eq!(values, ["1", "2"]);
        assert_eq!(&rest[..], b"hello");
    }

    #[test]
    fn waits_for_the_rest_of_a_partial_head() {
        let mut buf = BytesMut::from(&b"HTTP/1.1 200 OK\r\nContent-Le"[..]);
        assert!(parse(&mut buf, false).unwrap().is_none());
        assert_eq!(buf.len(), 27);
    }

    #[test]
    fn skips_interim_responses() {
        let (head, rest) = parse_all(
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
            false,
        );
        assert_eq!(head.parts.status, StatusCode::OK);
        assert!(rest.is_empty());
    }

    #[test]
    fn chunked_wins_over_content_length() {
        let (head, _) = parse_all(
            b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
            false,
        );
        assert_eq!(head.framing, Framing::Chunked);
    }

    #[test]
    fn a_body_without_length_ends_at_close_and_the_connection_is_not_kept() {
        let (head, _) = parse_all(b"HTTP/1.1 200 OK\r\n\r\n", false);
        assert_eq!(head.framing, Framing::Eof);
        assert!(!head.keep_alive);
    }

    #[test]
    fn head_204_and_304_have_no_body() {
        let (head, _) = parse_all(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", true);
        assert_eq!(head.framing, Framing::Length(0));
        for status in ["204 No Content", "304 Not Modified"] {
            let raw = format!("HTTP/1.1 {status}\r\nTransfer-Encoding: chunked\r\n\r\n");
            let (head, _) = parse_all(raw.as_bytes(), false);
            assert_eq!(head.framing, Framing::Length(0));
        }
    }

    #[test]
    fn connection_close_and_http_1_0_are_not_kept() {
        let (head, _) = parse_all(
            b"HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n",
            false,
        );
        assert!(!head.keep_alive);
        let (head, _) = parse_all(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", false);
        assert!(!head.keep_alive);
        let (head, _) = parse_all(
            b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n",
            false,
        );
        assert!(head.keep_alive);
    }

    #[test]
    fn refuses_conflicting_lengths_garbage_and_upgrades() {
        let mut buf = BytesMut::from(
            &b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"[..],
        );
        assert!(matches!(
            parse(&mut buf, false),
            Err(HeadError::ContentLength)
        ));
        let mut buf = BytesMut::from(&b"SSH-2.0-OpenSSH\r\n\r\n"[..]);
        assert!(matches!(
            parse(&mut buf, false),
            Err(HeadError::Malformed(_))
        ));
        let mut buf = BytesMut::from(&b"HTTP/1.1 101 Switching Protocols\r\n\r\n"[..]);
        assert!(matches!(parse(&mut buf, false), Err(HeadError::Upgrade)));
    }

    #[test]
    fn refuses_an_endless_head() {
        let mut raw = b"HTTP/1.1 200 OK\r\n".to_vec();
        while raw.len() < MAX_HEAD {
            raw.extend_from_slice(b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
        }
        let mut buf = BytesMut::from(&raw[..]);
        assert!(parse(&mut buf, false).is_err());
    }
}
