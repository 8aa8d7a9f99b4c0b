//! Body types: what is sent upstream (the client's stream, or a buffered copy
//! when mirroring), what comes back from an upstream (serin's HTTP/1.1 body
//! or hyper's h2c one), and what is sent to the client (an upstream body or a
//! short error), the latter holding the request's in-flight count until the
//! body has been sent.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::{Either, Full};
use hyper::body::Incoming;

use crate::h1::body::ResponseBody;
use crate::inflight::InFlightGuard;

/// A request body sent to an upstream.
pub(crate) type UpstreamBody = Either<Incoming, Full<Bytes>>;

/// Errors a proxied body can produce.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A response body from an upstream.
#[derive(Debug)]
pub(crate) enum UpstreamResponse {
    /// Read by serin's HTTP/1.1 client; its connection goes back to the
    /// pool when the body has been read to the end.
    H1(ResponseBody),
    /// From the h2c client.
    H2(Incoming),
}

impl Body for UpstreamResponse {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match self.get_mut() {
            UpstreamResponse::H1(b) => Pin::new(b).poll_frame(cx),
            UpstreamResponse::H2(b) => Pin::new(b).poll_frame(cx).map_err(|e| e.into()),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            UpstreamResponse::H1(b) => b.is_end_stream(),
            UpstreamResponse::H2(b) => b.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            UpstreamResponse::H1(b) => b.size_hint(),
            UpstreamResponse::H2(b) => b.size_hint(),
        }
    }
}

/// The response body served to clients.
#[derive(Debug)]
pub struct ProxyBody {
    inner: Either<UpstreamResponse, Full<Bytes>>,
    guard: Option<InFlightGuard>,
}

impl ProxyBody {
    /// Streams an upstream response; the request stays in flight until the
    /// body has been read to the end (or dropped).
    pub(crate) fn upstream(body: UpstreamResponse, guard: InFlightGuard) -> ProxyBody {
        let mut this = ProxyBody {
            inner: Either::Left(body),
            guard: Some(guard),
        };
        // hyper does not poll a body that says it is already complete.
        if this.inner.is_end_stream() {
            this.guard = None;
        }
        this
    }

    /// A fixed body produced by the proxy itself.
    pub(crate) fn full(text: impl Into<Bytes>) -> ProxyBody {
        ProxyBody {
            inner: Either::Right(Full::new(text.into())),
            guard: None,
        }
    }
}

impl Body for ProxyBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        let frame = Pin::new(&mut this.inner)
            .poll_frame(cx)
            .map_err(|e| -> BoxError { e });
        match &frame {
            Poll::Ready(None | Some(Err(_))) => this.guard = None,
            Poll::Ready(Some(Ok(_))) if this.inner.is_end_stream() => this.guard = None,
            _ => {}
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
