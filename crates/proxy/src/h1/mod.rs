//! serin's own HTTP/1.1 client side towards upstreams: a connection is a
//! socket and its read buffer, driven inline by the request's task (no
//! connection task, no channel between them). The request head is encoded
//! once and kept, so a request lost to a keep-alive race can be written
//! again on a new connection at no cost.

pub(crate) mod body;
pub(crate) mod chunked;
pub(crate) mod request;
pub(crate) mod response;

use bytes::BytesMut;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

/// Bytes kept free in a read buffer before each read.
const READ_SPARE: usize = 4 * 1024;
/// How much a read buffer grows by.
const READ_GROW: usize = 16 * 1024;

/// One HTTP/1.1 connection to an upstream.
#[derive(Debug)]
pub(crate) struct Conn {
    pub(crate) stream: TcpStream,
    /// Bytes read and not yet consumed.
    pub(crate) rbuf: BytesMut,
    /// The last request head written, kept for a resend.
    pub(crate) wbuf: Vec<u8>,
}

/// Why reading a response head failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ReadError {
    /// The upstream closed (or reset) the connection before a whole head
    /// arrived; `received` says whether any byte of it had.
    #[error("upstream closed the connection before responding")]
    Closed { received: bool },
    /// A socket error.
    #[error("reading the response: {0}")]
    Io(#[from] std::io::Error),
    /// A head that cannot be used.
    #[error(transparent)]
    Head(#[from] response::HeadError),
}

impl Conn {
    pub(crate) fn new(stream: TcpStream) -> Conn {
        Conn {
            stream,
            rbuf: BytesMut::new(),
            wbuf: Vec::with_capacity(512),
        }
    }

    /// Whether an idle connection still looks open: nothing to read (the
    /// upstream neither closed it nor sent anything unasked). One
    /// non-blocking read.
    pub(crate) fn looks_open(&self) -> bool {
        let mut probe = [0u8; 1];
        matches!(self.stream.try_read(&mut probe), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
    }

    /// Reads until a whole response head is in the buffer and returns it.
    pub(crate) async fn read_head(&mut self, to_head: bool) -> Result<response::Head, ReadError> {
        loop {
            if let Some(head) = response::parse(&mut self.rbuf, to_head)? {
                return Ok(head);
            }
            reserve(&mut self.rbuf);
            let closed = match self.stream.read_buf(&mut self.rbuf).await {
                Ok(n) => n == 0,
                // A request written to a connection the upstream had closed
                // is answered with a reset: closed, as far as a resend goes.
                Err(e) if is_reset(&e) => true,
                Err(e) => return Err(e.into()),
            };
            if closed {
                return Err(ReadError::Closed {
                    received: !self.rbuf.is_empty(),
                });
            }
        }
    }
}

/// The peer closed the connection under us.
fn is_reset(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::{BrokenPipe, ConnectionAborted, ConnectionReset};
    matches!(e.kind(), ConnectionReset | ConnectionAborted | BrokenPipe)
}

/// Makes room for the next read.
pub(crate) fn reserve(buf: &mut BytesMut) {
    if buf.capacity() - buf.len() < READ_SPARE {
        buf.reserve(READ_GROW);
    }
}
