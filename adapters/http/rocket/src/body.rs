//! [`ResponseBody`]: the response body reader that starts the queue when it ends.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use background_tasks_http::{BodyEnd, RequestTasks, ResponseEnd, Sent};
use rocket::response::Body;
use rocket::tokio::io::{AsyncRead, AsyncSeek, ReadBuf};

/// A Rocket response body, unchanged on the wire (every byte read through), that hands the
/// request's queue to the executor when the response ends.
///
/// Rocket writes a body by reading it (`AsyncRead`) in chunks and handing each to hyper, until a
/// read returns no bytes; then it drops it. So the end is seen:
/// - at the read that returns no bytes: every byte was handed to the server (unless the body
///   declared more than it sent: then it was cut short);
/// - at the drop: completed if its declared size was read, or if the response has no body on the
///   wire (to `HEAD`, whose body Rocket strips unread, or a `1xx`, `204` or `304`); cut short
///   otherwise: Rocket stops reading when a write fails, because the client went away.
pub(crate) struct ResponseBody<'r> {
    // Before `inner`: fields drop in order, and the request ends before the body it wrapped is
    // dropped.
    end: BodyEnd,
    inner: Body<'r>,
}

impl<'r> ResponseBody<'r> {
    /// `declared` is the bytes the response declares (its size, or its `Content-Length`).
    pub(crate) fn new(
        inner: Body<'r>,
        status: http::StatusCode,
        declared: Option<u64>,
        tasks: RequestTasks,
    ) -> Self {
        Self {
            end: BodyEnd::new(Some(ResponseEnd::new(tasks, status, declared))),
            inner,
        }
    }
}

impl<'r> AsyncRead for ResponseBody<'r> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let (room, before) = (buf.remaining(), buf.filled().len());
        // A read as a stream's next chunk: the bytes read, or `None` at the end.
        let read = |inner: Pin<&mut Body<'r>>| {
            inner.poll_read(cx, buf).map(|read| match read {
                // A read into room that returns nothing is the end: every byte has been handed
                // to the server.
                Ok(()) if room > 0 && buf.filled().len() == before => None,
                Ok(()) => Some(Ok(buf.filled().len() - before)),
                Err(error) => Some(Err(error)),
            })
        };
        let poll = this
            .end
            .poll_next(Pin::new(&mut this.inner), read, |_, &read| Sent::Data(read));
        poll.map(|read| read.map_or(Ok(()), |read| read.map(drop)))
    }
}

/// Rocket asks a sized body for its size by seeking only when it was not given one; the fairing
/// always gives it one, so this body never seeks.
impl AsyncSeek for ResponseBody<'_> {
    fn start_seek(self: Pin<&mut Self>, _position: io::SeekFrom) -> io::Result<()> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "background_tasks_rocket's response body does not seek: its size is set",
        ))
    }

    fn poll_complete(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        Poll::Ready(Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "background_tasks_rocket's response body does not seek: its size is set",
        )))
    }
}
