//! [`Socket`]: hyper's I/O traits over a `futures-io` socket, for the runtimes [`serve`](super::serve)
//! runs on.
//!
//! hyper hands a read an uninitialised buffer, and `futures-io` reads only into initialised
//! bytes. Rather than zero hyper's whole buffer before every read (what a safe adapter otherwise
//! does: 8 KiB or more on every poll), reads land in a buffer of the socket's own, zeroed once,
//! and only the bytes that arrived are copied over. A read that fills it doubles it, up to 64 KiB.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures_io::{AsyncRead, AsyncWrite};
use hyper::rt::ReadBufCursor;

/// The first read's size: a small request's headers fit, and an idle connection keeps little.
const FIRST_READ: usize = 1024;
/// The largest read: as much as hyper offers a read at a time by default.
const MAX_READ: usize = 64 * 1024;

/// A `futures-io` socket as hyper's `Read` and `Write`.
#[derive(Debug)]
pub(super) struct Socket<T> {
    inner: T,
    /// Where reads land before they are copied into hyper's buffer; its length is the next read's
    /// size. It doubles while reads fill it and halves after reads that use a quarter or less, so
    /// a connection keeps a large one only while large reads keep coming.
    landing: Vec<u8>,
}

impl<T> Socket<T> {
    pub(super) fn new(inner: T) -> Self {
        Self {
            inner,
            landing: vec![0; FIRST_READ],
        }
    }
}

impl<T: AsyncRead + Unpin> hyper::rt::Read for Socket<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let offered = this.landing.len().min(buf.remaining());
        let read = ready!(Pin::new(&mut this.inner).poll_read(cx, &mut this.landing[..offered]))?;
        buf.put_slice(&this.landing[..read]);
        let size = this.landing.len();
        if read == size && size < MAX_READ {
            // More may be waiting: the next read takes twice as much at once.
            this.landing.resize((size * 2).min(MAX_READ), 0);
        } else if read <= size / 4 && size > FIRST_READ {
            this.landing.truncate(size / 2);
            this.landing.shrink_to_fit();
        }
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite + Unpin> hyper::rt::Write for Socket<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_close(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::rt::{Read, ReadBuf};

    /// Reads from `socket` into a buffer of `capacity` until the source is empty, returning what
    /// arrived and each read's length.
    fn read_all(socket: &mut Socket<&[u8]>, capacity: usize) -> (Vec<u8>, Vec<usize>) {
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let (mut arrived, mut reads) = (Vec::new(), Vec::new());
        loop {
            let mut storage = vec![std::mem::MaybeUninit::uninit(); capacity];
            let mut buf = ReadBuf::uninit(&mut storage);
            match Pin::new(&mut *socket).poll_read(&mut cx, buf.unfilled()) {
                Poll::Ready(Ok(())) => {}
                other => panic!("a slice is always ready: {other:?}"),
            }
            if buf.filled().is_empty() {
                return (arrived, reads);
            }
            reads.push(buf.filled().len());
            arrived.extend_from_slice(buf.filled());
        }
    }

    #[test]
    fn reads_grow_while_they_fill_and_every_byte_arrives_in_order() {
        let source: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let mut socket = Socket::new(&source[..]);
        let (arrived, reads) = read_all(&mut socket, MAX_READ);
        assert_eq!(arrived, source);
        // 1 KiB, then twice as much each time a read fills up, until the source runs out.
        assert_eq!(reads, [1024, 2048, 4096, 10_000 - 7168]);
    }

    #[test]
    fn a_read_never_overruns_what_hyper_offers() {
        let source = vec![7u8; 3000];
        let mut socket = Socket::new(&source[..]);
        let (arrived, reads) = read_all(&mut socket, 100);
        assert_eq!(arrived, source);
        assert!(reads.iter().all(|&read| read <= 100), "{reads:?}");
    }

    #[test]
    fn after_small_reads_the_landing_buffer_shrinks_back() {
        let mut socket = Socket::new(&[0u8; 2 * MAX_READ][..]);
        let (_, reads) = read_all(&mut socket, MAX_READ);
        assert_eq!(reads.iter().max(), Some(&MAX_READ), "{reads:?}");
        // Then a keep-alive connection's small requests: each short read halves the buffer.
        let small = [1u8; 100];
        socket.inner = &small[..];
        let _ = read_all(&mut socket, MAX_READ);
        assert!(socket.landing.len() < MAX_READ, "{}", socket.landing.len());
        for _ in 0..8 {
            socket.inner = &small[..];
            let _ = read_all(&mut socket, MAX_READ);
        }
        assert_eq!(socket.landing.len(), FIRST_READ);
    }

    #[test]
    fn reads_stop_growing_at_the_largest_size() {
        let source = vec![1u8; 4 * MAX_READ];
        let mut socket = Socket::new(&source[..]);
        let (arrived, reads) = read_all(&mut socket, 2 * MAX_READ);
        assert_eq!(arrived.len(), source.len());
        assert_eq!(reads.iter().max(), Some(&MAX_READ), "{reads:?}");
    }
}
