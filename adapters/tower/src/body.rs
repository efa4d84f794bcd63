//! [`ResponseBody`]: the response body that starts the queue when it ends.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use http::StatusCode;
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;

use crate::finish::Pending;
use crate::report::Ending;

pin_project! {
    /// The response body of [`BackgroundTasksService`](crate::BackgroundTasksService): the inner
    /// body, unchanged on the wire (`poll_frame`, `is_end_stream` and `size_hint` are forwarded
    /// as they are), that hands the request's queue to the executor when the response ends.
    ///
    /// The end is seen in two places:
    /// - `poll_frame` returning `Ready(None)`: every frame was handed to the server;
    /// - the body being dropped. Servers drop a body without polling it to `None` when
    ///   `is_end_stream` already says it is over (a `Full` or `Content-Length` body after its
    ///   data, an empty body), and never poll the body of a response to `HEAD` or with a `1xx`,
    ///   `204` or `304` status: those count as completed. Any other drop means the body was cut
    ///   short, usually because the client went away.
    pub struct ResponseBody<B> {
        #[pin]
        inner: B,
        state: Option<State>,
    }

    impl<B> PinnedDrop for ResponseBody<B> {
        fn drop(this: Pin<&mut Self>) {
            if let Some(state) = this.project().state.take() {
                state.finish_at_drop();
            }
        }
    }
}

struct State {
    pending: Pending,
    status: StatusCode,
    // `is_end_stream` as last seen: when the body was built and after each frame.
    ended: bool,
    failed: bool,
}

impl State {
    fn finish_at_drop(self) {
        let ending = if self.ended || self.pending.has_no_body(self.status) {
            Ending::Completed
        } else if self.failed || std::thread::panicking() {
            Ending::BodyFailed
        } else {
            Ending::CutShort
        };
        self.pending.finish(Some(self.status), ending);
    }
}

impl<B> ResponseBody<B> {
    pub(crate) fn new(inner: B, status: StatusCode, pending: Option<Pending>) -> Self
    where
        B: Body,
    {
        let ended = inner.is_end_stream();
        Self {
            state: pending.map(|pending| State {
                pending,
                status,
                ended,
                failed: false,
            }),
            inner,
        }
    }

    /// The wrapped body.
    pub fn get_ref(&self) -> &B {
        &self.inner
    }
}

impl<B: Body> Body for ResponseBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.project();
        let mut inner = this.inner;
        let Some(state) = this.state.as_mut() else {
            return inner.poll_frame(cx);
        };
        // A body that streams from the handler's work may still queue tasks.
        let scope = &mut state.pending.scope;
        let poll = match catch_unwind(AssertUnwindSafe(|| {
            scope.enter(|| inner.as_mut().poll_frame(cx))
        })) {
            Ok(poll) => poll,
            Err(panic) => {
                state.failed = true;
                resume_unwind(panic)
            }
        };
        match &poll {
            Poll::Pending => {}
            Poll::Ready(Some(Ok(_))) => state.ended = inner.is_end_stream(),
            Poll::Ready(Some(Err(_))) => state.failed = true,
            Poll::Ready(None) => {
                // Every frame has been handed to the server: start now rather than wait for the drop.
                let state = this.state.take().expect("checked above");
                state.pending.finish(Some(state.status), Ending::Completed);
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

impl<B: fmt::Debug> fmt::Debug for ResponseBody<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseBody")
            .field("inner", &self.inner)
            .field("pending", &self.state.as_ref().map(|state| &state.pending))
            .finish()
    }
}
