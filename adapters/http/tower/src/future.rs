//! [`ResponseFuture`]: the future returned by
//! [`BackgroundTasksService`](crate::BackgroundTasksService).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use http::Response;
use http_body::Body;
use pin_project_lite::pin_project;

use background_tasks_http::{PendingResponse, declared_length};

use crate::body::ResponseBody;

pin_project! {
    /// The response future of [`BackgroundTasksService`](crate::BackgroundTasksService): the inner
    /// service's future, whose response body is wrapped in a [`ResponseBody`] that starts the
    /// queue when it ends.
    ///
    /// If the inner future fails or panics, the queue is discarded and reported. If this future is
    /// dropped before a response (the server cancels the handler when the client goes away), the
    /// request is treated as a disconnect, per
    /// [`OnDisconnect`](crate::OnDisconnect).
    #[must_use = "futures do nothing unless polled; dropping this one before it resolves counts as a disconnect"]
    pub struct ResponseFuture<F> {
        // Before `inner`: fields drop in order, and a request cancelled ends before its
        // handler's future is dropped.
        pending: PendingResponse,
        #[pin]
        inner: F,
    }
}

impl<F> ResponseFuture<F> {
    pub(crate) fn new(inner: F, pending: PendingResponse) -> Self {
        Self { pending, inner }
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
    B: Body,
{
    type Output = Result<Response<ResponseBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut inner = this.inner;
        // A panic discards the tasks here, whatever catches it further up (tower-http's
        // `CatchPanicLayer` keeps this future alive until later).
        let (response, tasks) = ready!(this.pending.poll_answer(|| inner.as_mut().poll(cx)))?;
        let status = response.status();
        let declared = declared_length(response.headers());
        Poll::Ready(Ok(
            response.map(|body| ResponseBody::new(body, status, declared, tasks))
        ))
    }
}

impl<F> fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture")
            .field("pending", &self.pending)
            .finish_non_exhaustive()
    }
}
