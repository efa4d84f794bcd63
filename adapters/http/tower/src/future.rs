//! [`ResponseFuture`]: the future returned by
//! [`BackgroundTasksService`](crate::BackgroundTasksService).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::Response;
use http_body::Body;
use pin_project_lite::pin_project;

use background_tasks_http::{Ending, RequestTasks};

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
        #[pin]
        inner: F,
        tasks: Option<RequestTasks>,
    }

    impl<F> PinnedDrop for ResponseFuture<F> {
        fn drop(this: Pin<&mut Self>) {
            if let Some(tasks) = this.project().tasks.take() {
                tasks.finish_unanswered();
            }
        }
    }
}

impl<F> ResponseFuture<F> {
    pub(crate) fn new(inner: F, tasks: Option<RequestTasks>) -> Self {
        Self { inner, tasks }
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
        let output = match RequestTasks::run_handler(this.tasks, || inner.as_mut().poll(cx)) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(output) => output,
        };
        Poll::Ready(match output {
            Ok(response) => {
                let tasks = this.tasks.take();
                let status = response.status();
                let declared = tasks.as_ref().and_then(|_| content_length(&response));
                Ok(response.map(|body| ResponseBody::new(body, status, declared, tasks)))
            }
            Err(error) => {
                if let Some(tasks) = this.tasks.take() {
                    tasks.finish(None, Ending::Failed);
                }
                Err(error)
            }
        })
    }
}

/// The response's `Content-Length`, when it has a valid one.
fn content_length<B>(response: &Response<B>) -> Option<u64> {
    response
        .headers()
        .get(http::header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

impl<F> fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture")
            .field("tasks", &self.tasks)
            .finish_non_exhaustive()
    }
}
