//! An upstream response body read straight from its connection: framed by
//! length, chunks or close, and the connection given back to its endpoint's
//! pool the moment the last byte has been read.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

use super::chunked::{Chunked, Step};
use super::response::Framing;
use super::{Conn, reserve};
use crate::body::BoxError;
use crate::client::give_back;
use crate::endpoint::Endpoint;

#[derive(Debug)]
enum State {
    Length(u64),
    Chunked(Chunked),
    Eof,
}

/// Where a finished connection goes.
#[derive(Debug)]
pub(crate) struct Home {
    pub(crate) endpoint: Arc<Endpoint>,
    pub(crate) max_idle: usize,
}

/// The body of one upstream response.
#[derive(Debug)]
pub(crate) struct ResponseBody {
    /// `None` once the body is complete (or broken).
    conn: Option<Conn>,
    state: State,
    keep_alive: bool,
    home: Home,
}

/// The upstream broke the body off.
#[derive(Debug, thiserror::Error)]
#[error("upstream response body: {0}")]
pub(crate) struct BodyBroken(String);

impl ResponseBody {
    pub(crate) fn new(conn: Conn, framing: Framing, keep_alive: bool, home: Home) -> ResponseBody {
        let state = match framing {
            Framing::Length(n) => State::Length(n),
            Framing::Chunked => State::Chunked(Chunked::default()),
            Framing::Eof => State::Eof,
        };
        let mut body = ResponseBody {
            conn: Some(conn),
            state,
            keep_alive,
            home,
        };
        if matches!(body.state, State::Length(0)) {
            body.finish();
        }
        body
    }

    /// The body has been read whole: the connection goes back to the pool
    /// if it can serve another request (kept alive, nothing unasked read).
    fn finish(&mut self) {
        if let Some(conn) = self.conn.take()
            && self.keep_alive
            && conn.rbuf.is_empty()
        {
            give_back(&self.home.endpoint, conn, self.home.max_idle);
        }
    }

    fn broken(&mut self, why: impl Into<String>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        self.conn = None;
        Poll::Ready(Some(Err(Box::new(BodyBroken(why.into())))))
    }
}

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        loop {
            let Some(conn) = this.conn.as_mut() else {
                return Poll::Ready(None);
            };
            match &mut this.state {
                State::Length(0) => {
                    this.finish();
                    return Poll::Ready(None);
                }
                State::Length(left) if !conn.rbuf.is_empty() => {
                    let n = usize::try_from(*left)
                        .unwrap_or(usize::MAX)
                        .min(conn.rbuf.len());
                    let data = conn.rbuf.split_to(n).freeze();
                    *left -= n as u64;
                    if *left == 0 {
                        this.finish();
                    }
                    return Poll::Ready(Some(Ok(Frame::data(data))));
                }
                State::Length(_) => {}
                State::Chunked(decoder) => match decoder.step(&mut conn.rbuf) {
                    Ok(Step::Data(data)) => return Poll::Ready(Some(Ok(Frame::data(data)))),
                    Ok(Step::Done) => {
                        this.finish();
                        return Poll::Ready(None);
                    }
                    Ok(Step::More) => {}
                    Err(e) => return this.broken(e.to_string()),
                },
                State::Eof if !conn.rbuf.is_empty() => {
                    let data = conn.rbuf.split().freeze();
                    return Poll::Ready(Some(Ok(Frame::data(data))));
                }
                State::Eof => {}
            }
            reserve(&mut conn.rbuf);
            match ready!(tokio_util::io::poll_read_buf(
                Pin::new(&mut conn.stream),
                cx,
                &mut conn.rbuf
            )) {
                Ok(0) if matches!(this.state, State::Eof) => {
                    this.conn = None;
                    return Poll::Ready(None);
                }
                Ok(0) => return this.broken("closed before the end of the body"),
                Ok(_) => {}
                Err(e) => return this.broken(e.to_string()),
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.conn.is_none() || matches!(self.state, State::Length(0))
    }

    fn size_hint(&self) -> SizeHint {
        match self.state {
            State::Length(n) => SizeHint::with_exact(n),
            _ if self.conn.is_none() => SizeHint::with_exact(0),
            _ => SizeHint::default(),
        }
    }
}
