//! Decoding a `Transfer-Encoding: chunked` body from a read buffer: chunk
//! sizes (extensions ignored), the data, and trailers (read and dropped).

use bytes::{Bytes, BytesMut};

/// The longest size or trailer line accepted.
const MAX_LINE: usize = 8 * 1024;

/// What one decoding step produced.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// Body data.
    Data(Bytes),
    /// The buffer holds no complete next piece: read more.
    More,
    /// The last chunk and the trailers have been read.
    Done,
}

/// A malformed chunked body.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ChunkError {
    /// A size line that is not hexadecimal, or too large.
    #[error("invalid chunk size line")]
    Size,
    /// Chunk data not followed by CRLF.
    #[error("chunk data not followed by CRLF")]
    DataEnd,
    /// A line longer than the limit.
    #[error("chunk line longer than {MAX_LINE} bytes")]
    LineTooLong,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Size,
    Data(u64),
    DataEnd,
    Trailers,
    Done,
}

/// The decoder's place in the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Chunked {
    state: State,
}

impl Default for Chunked {
    fn default() -> Self {
        Chunked { state: State::Size }
    }
}

impl Chunked {
    /// Consumes what it can from `buf`: the next data, `More`, or `Done`.
    pub(crate) fn step(&mut self, buf: &mut BytesMut) -> Result<Step, ChunkError> {
        loop {
            match self.state {
                State::Size => {
                    let Some(line) = take_line(buf)? else {
                        return Ok(Step::More);
                    };
                    let size = parse_size(&line)?;
                    self.state = if size == 0 {
                        State::Trailers
                    } else {
                        State::Data(size)
                    };
                }
                State::Data(left) => {
                    if buf.is_empty() {
                        return Ok(Step::More);
                    }
                    let n = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
                    let data = buf.split_to(n).freeze();
                    let left = left - n as u64;
                    self.state = if left == 0 {
                        State::DataEnd
                    } else {
                        State::Data(left)
                    };
                    return Ok(Step::Data(data));
                }
                State::DataEnd => {
                    let Some(line) = take_line(buf)? else {
                        return Ok(Step::More);
                    };
                    if !line.is_empty() {
                        return Err(ChunkError::DataEnd);
                    }
                    self.state = State::Size;
                }
                State::Trailers => {
                    let Some(line) = take_line(buf)? else {
                        return Ok(Step::More);
                    };
                    if line.is_empty() {
                        self.state = State::Done;
                    }
                }
                State::Done => return Ok(Step::Done),
            }
        }
    }
}

/// The next line without its CRLF (or bare LF), if the buffer holds one.
fn take_line(buf: &mut BytesMut) -> Result<Option<BytesMut>, ChunkError> {
    let Some(end) = buf.iter().take(MAX_LINE).position(|b| *b == b'\n') else {
        return if buf.len() >= MAX_LINE {
            Err(ChunkError::LineTooLong)
        } else {
            Ok(None)
        };
    };
    let mut line = buf.split_to(end + 1);
    line.truncate(end);
    if line.last() == Some(&b'\r') {
        line.truncate(end - 1);
    }
    Ok(Some(line))
}

/// The hexadecimal size before any `;extension`.
fn parse_size(line: &[u8]) -> Result<u64, ChunkError> {
    let digits = line
        .split(|b| *b == b';')
        .next()
        .unwrap_or_default()
        .trim_ascii();
    if digits.is_empty() || digits.len() > 15 {
        return Err(ChunkError::Size);
    }
    digits.iter().try_fold(0u64, |size, b| {
        let digit = (*b as char).to_digit(16).ok_or(ChunkError::Size)?;
        Ok(size * 16 + u64::from(digit))
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn decode_all(input: &[u8], split_every: usize) -> Result<Vec<u8>, ChunkError> {
        let mut decoder = Chunked::default();
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        let mut pieces = input.chunks(split_every.max(1));
        loop {
            match decoder.step(&mut buf)? {
                Step::Data(d) => out.extend_from_slice(&d),
                Step::Done => return Ok(out),
                Step::More => match pieces.next() {
                    Some(p) => buf.extend_from_slice(p),
                    None => return Err(ChunkError::Size),
                },
            }
        }
    }

    #[test]
    fn decodes_chunks_with_extensions_and_trailers() {
        let body = b"5;name=v\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: 1\r\n\r\n";
        assert_eq!(decode_all(body, 1000).unwrap(), b"hello, world");
    }

    #[test]
    fn decodes_the_same_whatever_the_read_boundaries() {
        let body = b"a\r\n0123456789\r\n1F\r\nabcdefghijklmnopqrstuvwxyzABCDE\r\n0\r\n\r\n";
        let whole = decode_all(body, 1000).unwrap();
        for split in 1..body.len() {
            assert_eq!(decode_all(body, split).unwrap(), whole, "split {split}");
        }
    }

    #[test]
    fn leaves_bytes_after_the_body_in_the_buffer() {
        let mut decoder = Chunked::default();
        let mut buf = BytesMut::from(&b"2\r\nok\r\n0\r\n\r\nHTTP/1.1"[..]);
        assert_eq!(
            decoder.step(&mut buf).unwrap(),
            Step::Data(Bytes::from_static(b"ok"))
        );
        assert_eq!(decoder.step(&mut buf).unwrap(), Step::Done);
        assert_eq!(&buf[..], b"HTTP/1.1");
    }

    #[test]
    fn refuses_a_size_that_is_not_hexadecimal() {
        assert_eq!(decode_all(b"zz\r\n", 100), Err(ChunkError::Size));
        assert_eq!(decode_all(b"\r\n", 100), Err(ChunkError::Size));
        assert_eq!(
            decode_all(b"1000000000000000\r\n", 100),
            Err(ChunkError::Size)
        );
    }

    #[test]
    fn refuses_data_longer_than_its_size() {
        assert_eq!(
            decode_all(b"2\r\nabc\r\n0\r\n\r\n", 100),
            Err(ChunkError::DataEnd)
        );
    }

    #[test]
    fn refuses_an_endless_size_line() {
        let line = vec![b'1'; MAX_LINE + 10];
        assert_eq!(
            decode_all(&line, MAX_LINE * 2),
            Err(ChunkError::LineTooLong)
        );
    }
}
