//! Body types: what is sent upstream (the client's stream, or a buffered copy
//! when mirroring) and what is sent to the client (the upstream's stream, or
//! a short error), the latter holding the request's in-flight count and the
//! lease of its upstream connection until the body has been sent.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::{Either, Full};
use hyper::body::Incoming;
use pin_project_lite::pin_project;

use crate::client::Lease;
use crate::inflight::InFlightGuard;

/// A request body sent to an upstream.
pub(crate) type UpstreamBody = Either<Incoming, Full<Bytes>>;

/// Errors a proxied body can produce.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

pin_project! {
    /// The response body served to clients.
    #[derive(Debug)]
    pub struct ProxyBody {
        #[pin]
        inner: Either<Incoming, Full<Bytes>>,
        guard: Option<InFlightGuard>,
        lease: Option<Lease>,
    }
}

impl ProxyBody {
    /// Streams an upstream response; the request stays in flight, and the
    /// upstream connection leased, until the body has been read to the end.
    pub(crate) fn upstream(
        body: Incoming,
        guard: InFlightGuard,
        lease: Option<Lease>,
    ) -> ProxyBody {
        let mut this = ProxyBody {
            inner: Either::Left(body),
            guard: Some(guard),
            lease,
        };
        // hyper does not poll a body that says it is already complete.
        if this.inner.is_end_stream() {
            this.finish();
        }
        this
    }

    /// A fixed body produced by the proxy itself.
    pub(crate) fn full(text: impl Into<Bytes>) -> ProxyBody {
        ProxyBody {
            inner: Either::Right(Full::new(text.into())),
            guard: None,
            lease: None,
        }
    }

    fn finish(&mut self) {
        finish(&mut self.guard, &mut self.lease);
    }
}

fn finish(guard: &mut Option<InFlightGuard>, lease: &mut Option<Lease>) {
    guard.take();
    if let Some(lease) = lease.take() {
        lease.release();
    }
}

impl Body for ProxyBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let mut this = self.project();
        let frame = this.inner.as_mut().poll_frame(cx);
        match &frame {
            // The whole body was read: the connection can serve another request.
            Poll::Ready(None) => finish(this.guard, this.lease),
            Poll::Ready(Some(Ok(_))) if this.inner.is_end_stream() => {
                finish(this.guard, this.lease)
            }
            // A broken body: the connection is not reused.
            Poll::Ready(Some(Err(_))) => {
                this.guard.take();
                this.lease.take();
            }
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
