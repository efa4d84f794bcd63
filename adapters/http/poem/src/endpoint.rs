//! [`BackgroundTasksEndpoint`]: the endpoint [`BackgroundTasksMiddleware`](crate::BackgroundTasksMiddleware)
//! wraps around the app's, and its [`ResponseFuture`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use background_tasks_http::{Dispatch, PendingResponse, RequestTasks, declared_length};
use http_body_util::combinators::BoxBody;
use pin_project_lite::pin_project;
use poem::{Body, Endpoint, IntoResponse, Request, Response};

use crate::body::{PoemBody, ResponseBody};

/// Gives every request its own [`BackgroundTasks`](background_tasks::BackgroundTasks) queue,
/// calls the inner endpoint, and runs the queue once the response body has ended. Built by
/// [`BackgroundTasksMiddleware`](crate::BackgroundTasksMiddleware); see there for the settings.
pub struct BackgroundTasksEndpoint<Ep> {
    inner: Ep,
    dispatch: Arc<dyn Dispatch>,
}

impl<Ep> BackgroundTasksEndpoint<Ep> {
    pub(crate) fn new(inner: Ep, dispatch: Arc<dyn Dispatch>) -> Self {
        Self { inner, dispatch }
    }
}

impl<Ep: Endpoint> Endpoint for BackgroundTasksEndpoint<Ep> {
    type Output = Response;

    fn call(&self, request: Request) -> impl Future<Output = poem::Result<Response>> + Send {
        let mut pending = PendingResponse::new(RequestTasks::new(
            Arc::clone(&self.dispatch),
            request.method().clone(),
            request.uri().path(),
            tracing::Span::current(),
        ));
        let inner = &self.inner;
        let future = pending.in_scope(|| inner.call(request));
        ResponseFuture {
            pending,
            inner: future,
        }
    }
}

impl<Ep> fmt::Debug for BackgroundTasksEndpoint<Ep> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackgroundTasksEndpoint")
            .finish_non_exhaustive()
    }
}

pin_project! {
    /// The future of [`BackgroundTasksEndpoint::call`]: the inner endpoint's future, inside the
    /// request's scope on every poll, whose response body is wrapped so that it starts the queue
    /// when it ends.
    ///
    /// An `Err` is a response in poem (its status and body come from the error): when the handler
    /// queued tasks, the error's response gets the wrapped body and goes on as
    /// `poem::Error::from_response`, so the tasks run after it as after any response. If the inner
    /// future panics, the queue is discarded and reported. If this future is dropped before a
    /// response (hyper drops the handler when the client goes away), the request is treated as a
    /// disconnect, per [`OnDisconnect`](crate::OnDisconnect).
    #[must_use = "futures do nothing unless polled; dropping this one before it resolves counts as a disconnect"]
    pub struct ResponseFuture<F> {
        // Before `inner`: fields drop in order, and a request cancelled ends before its
        // handler's future is dropped.
        pending: PendingResponse,
        #[pin]
        inner: F,
    }
}

impl<F, T> Future for ResponseFuture<F>
where
    F: Future<Output = poem::Result<T>>,
    T: IntoResponse,
{
    type Output = poem::Result<Response>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut inner = this.inner;
        let pending = this.pending;
        Poll::Ready(match ready!(pending.in_scope(|| inner.as_mut().poll(cx))) {
            Ok(output) => {
                let response = pending.in_scope(|| output.into_response());
                Ok(with_trigger(response, pending.answered()))
            }
            // The handler asked for no queue: the error goes on untouched.
            Err(error) if !pending.has_queue() => {
                pending.failed();
                Err(error)
            }
            Err(error) => {
                let response = pending.in_scope(|| error.into_response());
                Err(poem::Error::from_response(with_trigger(
                    response,
                    pending.answered(),
                )))
            }
        })
    }
}

/// `response` with its body wrapped in the trigger that runs `tasks` when it ends.
fn with_trigger(response: Response, tasks: Option<RequestTasks>) -> Response {
    let Some(tasks) = tasks else {
        return response;
    };
    let (parts, body) = response.into_parts();
    let declared = declared_length(&parts.headers);
    let body = ResponseBody::new(PoemBody::from(body), parts.status, declared, tasks);
    Response::from_parts(parts, Body::from(BoxBody::new(body)))
}

impl<F> fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture")
            .field("pending", &self.pending)
            .finish_non_exhaustive()
    }
}
