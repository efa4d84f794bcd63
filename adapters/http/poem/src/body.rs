//! [`ResponseBody`]: the response body that starts the queue when it ends.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use background_tasks_http::{BodyEnd, RequestTasks, ResponseEnd, Sent};
use bytes::{Buf, Bytes};
use http_body::{Body, Frame, SizeHint};
use http_body_util::combinators::BoxBody;
use poem::http::StatusCode;

/// A poem body as hyper sees it: what `poem::Body` holds, and what it is made from.
pub(crate) type PoemBody = BoxBody<Bytes, io::Error>;

/// A poem response body, unchanged on the wire (`poll_frame`, `is_end_stream` and `size_hint` are
/// forwarded), that hands the request's queue to the executor when the response ends.
///
/// poem serves with hyper, so the end is seen where tower's integration sees it:
/// - `poll_frame` returning `Ready(None)`: every frame was handed to the server (unless the body
///   declared more bytes than it sent: then it was cut short);
/// - the body being dropped. hyper drops a body without polling it to `None` once it is over by
///   its count (`is_end_stream`, or the declared length handed over) and never polls the body of
///   a response to `HEAD` or with a `1xx`, `204` or `304` status: all completed. Any other drop
///   means the body was cut short, usually because the client went away.
pub(crate) struct ResponseBody {
    // Before `inner`: fields drop in order, and the request ends before the body it wrapped is
    // dropped.
    end: BodyEnd,
    inner: PoemBody,
}

impl ResponseBody {
    /// `declared` is the response's `Content-Length`, if it has one.
    pub(crate) fn new(
        inner: PoemBody,
        status: StatusCode,
        declared: Option<u64>,
        tasks: RequestTasks,
    ) -> Self {
        let declared = declared.or_else(|| inner.size_hint().exact());
        let mut end = ResponseEnd::new(tasks, status, declared);
        // An empty body says so before its first poll; hyper then drops it unpolled.
        end.sent(Sent::new(0, inner.is_end_stream()));
        Self {
            end: BodyEnd::new(Some(end)),
            inner,
        }
    }
}

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = &mut *self;
        this.end.poll_next(
            Pin::new(&mut this.inner),
            |inner| inner.poll_frame(cx),
            |inner, frame| {
                Sent::new(
                    frame.data_ref().map_or(0, Buf::remaining),
                    inner.is_end_stream(),
                )
            },
        )
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
