//! [`ResponseBody`]: the response body that starts the queue when it ends.

use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use background_tasks_http::{RequestTasks, ResponseEnd};
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
    inner: PoemBody,
    end: Option<ResponseEnd>,
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
        end.sent(0, inner.is_end_stream());
        Self {
            inner,
            end: Some(end),
        }
    }
}

impl Drop for ResponseBody {
    fn drop(&mut self) {
        if let Some(end) = self.end.take() {
            end.finish_at_drop();
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
        let inner = Pin::new(&mut this.inner);
        let Some(end) = this.end.as_mut() else {
            return inner.poll_frame(cx);
        };
        // A body that streams from the handler's work may still queue tasks.
        let scope = end.tasks_mut().scope_mut();
        let poll = match catch_unwind(AssertUnwindSafe(|| scope.enter(|| inner.poll_frame(cx)))) {
            Ok(poll) => poll,
            Err(panic) => {
                end.failed();
                resume_unwind(panic)
            }
        };
        match &poll {
            Poll::Pending => {}
            Poll::Ready(Some(Ok(frame))) => {
                let data_len = frame.data_ref().map_or(0, Buf::remaining);
                end.sent(data_len, this.inner.is_end_stream());
            }
            Poll::Ready(Some(Err(_))) => end.failed(),
            Poll::Ready(None) => {
                // Every frame has been handed to the server: start now rather than wait for the drop.
                this.end.take().expect("checked above").finish_at_end();
            }
        }
        poll
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
