//! Body types: what is sent upstream (the client's stream, or a buffered copy
//! when mirroring) and what is sent to the client (the upstream's stream, or
//! a short error), the latter holding the request's in-flight count.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::{Either, Full};
use hyper::body::Incoming;
use pin_project_lite::pin_project;

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
    }
}

impl ProxyBody {
    /// Streams an upstream response; the request stays in flight until done.
    pub(crate) fn upstream(body: Incoming, guard: InFlightGuard) -> ProxyBody {
        ProxyBody {
            inner: Either::Left(body),
            guard: Some(guard),
        }
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
        let this = self.project();
        let frame = this.inner.poll_frame(cx);
        if let Poll::Ready(None | Some(Err(_))) = &frame {
            this.guard.take();
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
