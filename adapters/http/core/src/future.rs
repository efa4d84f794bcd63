//! [`ResponseFuture`]: every framework's response future, and [`Answer`], the one thing a
//! framework says about it (how its response carries the queue on).

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use pin_project_lite::pin_project;

use crate::pending::PendingResponse;
use crate::request::RequestTasks;

/// What a framework does with its handler's output `T`: wraps the response's body in the trigger
/// that carries the request's tasks (a [`BodyEnd`](crate::BodyEnd) inside its body type), or ends
/// the request when there is no response.
///
/// Implemented by a marker type per framework; [`HttpAnswer`](crate::HttpAnswer) is the one for `http::Response`
/// with an `http_body::Body` (tower, axum, hyper).
pub trait Answer<T> {
    /// What the framework's service yields.
    type Output;

    /// The handler answered `output`. `pending` still holds the request's queue:
    /// [`answered`](PendingResponse::answered) takes it for the body, [`failed`](PendingResponse::failed)
    /// ends the request without a response, and [`in_scope`](PendingResponse::in_scope) runs
    /// more of the handler's code (turning its output into a response) where it reaches the queue.
    fn answer(output: T, pending: &mut PendingResponse) -> Self::Output;
}

pin_project! {
    /// The response future of a framework integration: the handler's future, polled inside the
    /// request's scope, then its output handed to the framework's [`Answer`] `A`.
    ///
    /// If the handler's future panics, the queue is discarded and reported. If this future is
    /// dropped before it answers (servers drop the handler when the client goes away), the request
    /// is treated as a disconnect, per [`OnDisconnect`](crate::OnDisconnect).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::task::{Context, Poll, Waker};
    ///
    /// use background_tasks::{BackgroundTasks, Runner};
    /// use background_tasks_http::{Dispatcher, HttpAnswer, RequestTasks, ResponseFuture, Settings};
    /// use http::{Method, Response};
    /// # use background_tasks::{BlockingError, BlockingJob, BoxFuture, Executor};
    /// # #[derive(Debug, Clone)] struct MyExecutor;
    /// # impl Executor for MyExecutor {
    /// #     fn spawn(&self, _: BoxFuture<()>) {}
    /// #     fn spawn_blocking(&self, _: BlockingJob) -> BoxFuture<Result<(), BlockingError>> {
    /// #         Box::pin(async { Ok(()) })
    /// #     }
    /// # }
    ///
    /// let dispatch = Arc::new(Dispatcher::new(Runner::new(MyExecutor), Settings::default()));
    /// let tasks = RequestTasks::new(dispatch, Method::GET, "/", tracing::Span::current());
    /// // The integration's `call`: the inner service's `call` inside the request's scope.
    /// let future = ResponseFuture::<_, HttpAnswer>::call(tasks, || async {
    ///     BackgroundTasks::current().unwrap().add_task(|| println!("after the response"));
    ///     Ok::<_, std::convert::Infallible>(Response::new(String::from("done")))
    /// });
    /// let mut future = std::pin::pin!(future);
    /// let Poll::Ready(Ok(response)) = future.as_mut().poll(&mut Context::from_waker(Waker::noop()))
    /// else {
    ///     unreachable!("the handler answers at once")
    /// };
    /// // The response's body now carries the queue: it runs once the body has been sent.
    /// # let _ = response;
    /// ```
    #[must_use = "futures do nothing unless polled; dropping this one before it resolves counts as a disconnect"]
    pub struct ResponseFuture<F, A> {
        // Before `handler`: fields drop in order, and a request cancelled ends before its
        // handler's future is dropped.
        pending: PendingResponse,
        #[pin]
        handler: F,
        answer: PhantomData<fn() -> A>,
    }
}

impl<F, A> ResponseFuture<F, A> {
    /// Starts a request: `call` (the inner service's `call`, which makes the handler's future) runs
    /// inside the scope of the request's queue, `tasks`, as a handler doing its work in `call`
    /// must. If it panics, the request ends as panicked and the panic goes on.
    pub fn call(tasks: RequestTasks, call: impl FnOnce() -> F) -> Self {
        let mut pending = PendingResponse::new(tasks);
        let handler = pending.in_scope(call);
        Self {
            pending,
            handler,
            answer: PhantomData,
        }
    }
}

impl<F: Future, A: Answer<F::Output>> Future for ResponseFuture<F, A> {
    type Output = A::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut handler = this.handler;
        let output = ready!(this.pending.in_scope(|| handler.as_mut().poll(cx)));
        Poll::Ready(A::answer(output, this.pending))
    }
}

impl<F, A> fmt::Debug for ResponseFuture<F, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture")
            .field("pending", &self.pending)
            .finish_non_exhaustive()
    }
}
