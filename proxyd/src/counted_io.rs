//! Stream wrappers that count bytes. [`Counted`] counts what is read and written through it:
//! HAProxy's HTTP/1 module counts what its multiplexer moves (`h1_bytes_in`, `h1_bytes_out`),
//! whatever the request turned out to be, and over TLS the clear text. [`Sent`] counts what the
//! health checks (below their TLS) and the stats socket send: with the proxied bytes and the
//! stats page's, HAProxy's `TotalBytesOut` counts every byte its sockets send.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

#[derive(Debug)]
pub struct Counted<S> {
    inner: S,
    pub read: u64,
    pub written: u64,
}

impl<S> Counted<S> {
    pub fn new(inner: S) -> Counted<S> {
        Counted {
            inner,
            read: 0,
            written: 0,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Counted<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = r {
            self.read += (buf.filled().len() - before) as u64;
        }
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Counted<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, data);
        if let Poll::Ready(Ok(n)) = r {
            self.written += n as u64;
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

static SENT: AtomicU64 = AtomicU64::new(0);

/// Bytes written through every [`Sent`] since start.
pub fn sent() -> u64 {
    SENT.load(Relaxed)
}

/// A socket whose writes count in [`sent`].
#[derive(Debug)]
pub struct Sent<S>(pub S);

impl<S: AsyncRead + Unpin> AsyncRead for Sent<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Sent<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.0).poll_write(cx, data);
        if let Poll::Ready(Ok(n)) = r {
            SENT.fetch_add(n as u64, Relaxed);
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn counts_both_directions() {
        let (a, mut b) = tokio::io::duplex(64);
        let mut c = Counted::new(a);
        c.write_all(b"hello").await.expect("write");
        b.write_all(b"abc").await.expect("write");
        drop(b);
        let mut got = Vec::new();
        c.read_to_end(&mut got).await.expect("read");
        assert_eq!((c.read, c.written), (3, 5));
    }

    #[tokio::test]
    async fn sent_counts_what_is_written() {
        let (a, mut b) = tokio::io::duplex(64);
        let before = sent();
        let mut s = Sent(a);
        s.write_all(b"hello").await.expect("write");
        let mut got = [0u8; 5];
        b.read_exact(&mut got).await.expect("read");
        // Other tests may send meanwhile: at least these five bytes counted.
        assert!(sent() - before >= 5);
    }
}
