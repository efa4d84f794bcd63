//! [`ResponseBody`]: the response body that starts the queue when it ends.

use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, MessageBody};
use actix_web::web::Bytes;
use background_tasks_http::{BodyEnd, RequestTasks, ResponseEnd, Sent};
use pin_project_lite::pin_project;

pin_project! {
    /// The response body of [`BackgroundTasksService`](crate::BackgroundTasksService): the inner
    /// body, unchanged on the wire (`poll_next` and `size` are forwarded as they are), that hands
    /// the request's queue to the executor when the response ends.
    ///
    /// The end is seen where actix-web's own `Logger` sees it, and decided as for every framework
    /// (`background_tasks_http::BodyEnd`): `poll_next` returning `None`, or the body's drop.
    /// actix-web drops a body unpolled once it is over by its count (`BodySize::None`,
    /// `Sized(0)`, the declared size reached; a response to `HEAD` or with a `1xx`, `204` or `304`
    /// status): completed. Any other drop cut it short, usually because the client went away.
    #[derive(Debug)]
    pub struct ResponseBody<B> {
        // Before `inner`: fields drop in order, and the request ends before the body it wrapped
        // is dropped.
        end: BodyEnd,
        #[pin]
        inner: B,
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
            // A body without one says so before its first poll; actix-web then drops it unpolled.
            end.sent(Sent::new(0, matches!(inner.size(), BodySize::None)));
            end
        });
        Self {
            end: BodyEnd::new(end),
            inner,
        }
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
        this.end.poll_next(
            this.inner,
            |inner| inner.poll_next(cx),
            |_, chunk| Sent::Data(chunk.len()),
        )
    }
}
