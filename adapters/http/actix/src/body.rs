//! [`ResponseBody`]: the response body that starts the queue when it ends.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, MessageBody};
use actix_web::web::Bytes;
use background_tasks_http::{RequestTasks, ResponseEnd};
use pin_project_lite::pin_project;

pin_project! {
    /// The response body of [`BackgroundTasksService`](crate::BackgroundTasksService): the inner
    /// body, unchanged on the wire (`poll_next` and `size` are forwarded as they are), that hands
    /// the request's queue to the executor when the response ends.
    ///
    /// The end is seen where actix-web's own `Logger` sees it:
    /// - `poll_next` returning `None`: every chunk was handed to the server (unless the body
    ///   declared more bytes than it sent: then it was cut short);
    /// - the body being dropped. actix-web drops a body without polling it once it is over by its
    ///   count: an empty body (`BodySize::None`, `Sized(0)`), the declared size reached, or a
    ///   response to `HEAD` or with a `1xx`, `204` or `304` status. All of those count as
    ///   completed. Any other drop means the body was cut short, usually because the client went
    ///   away.
    pub struct ResponseBody<B> {
        #[pin]
        inner: B,
        end: Option<ResponseEnd>,
    }

    impl<B> PinnedDrop for ResponseBody<B> {
        fn drop(this: Pin<&mut Self>) {
            if let Some(end) = this.project().end.take() {
                end.finish_at_drop();
            }
        }
    }
}

impl<B: MessageBody> ResponseBody<B> {
    /// `declared` is the bytes the response declares, if any.
    pub(crate) fn new(
        inner: B,
        status: http::StatusCode,
        declared: Option<u64>,
        tasks: Option<RequestTasks>,
    ) -> Self {
        let end = tasks.map(|tasks| {
            let mut end = ResponseEnd::new(tasks, status, declared);
            end.sent(0, matches!(inner.size(), BodySize::None));
            end
        });
        Self { inner, end }
    }
}

impl<B> ResponseBody<B> {
    /// The wrapped body.
    pub fn get_ref(&self) -> &B {
        &self.inner
    }
}

impl<B: MessageBody> MessageBody for ResponseBody<B> {
    type Error = B::Error;

    fn size(&self) -> BodySize {
        self.inner.size()
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        let this = self.project();
        let mut inner = this.inner;
        let Some(end) = this.end.as_mut() else {
            return inner.poll_next(cx);
        };
        // A body that streams from the handler's work may still queue tasks.
        let scope = end.tasks_mut().scope_mut();
        let poll = match catch_unwind(AssertUnwindSafe(|| {
            scope.enter(|| inner.as_mut().poll_next(cx))
        })) {
            Ok(poll) => poll,
            Err(panic) => {
                end.failed();
                resume_unwind(panic)
            }
        };
        match &poll {
            Poll::Pending => {}
            Poll::Ready(Some(Ok(chunk))) => end.sent(chunk.len(), false),
            Poll::Ready(Some(Err(_))) => end.failed(),
            Poll::Ready(None) => {
                // Every chunk has been handed to the server: start now rather than wait for the drop.
                this.end.take().expect("checked above").finish_at_end();
            }
        }
        poll
    }
}

impl<B: fmt::Debug> fmt::Debug for ResponseBody<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseBody")
            .field("inner", &self.inner)
            .field("end", &self.end)
            .finish()
    }
}
