//! [`BackgroundTasksEndpoint`]: the endpoint [`BackgroundTasksMiddleware`](crate::BackgroundTasksMiddleware)
//! wraps around the app's, and its [`ResponseFuture`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use background_tasks_http::{Dispatch, Ending, RequestTasks};
use http_body_util::combinators::BoxBody;
use pin_project_lite::pin_project;
use poem::http::header;
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
        let mut tasks = Some(RequestTasks::new(
            Arc::clone(&self.dispatch),
            request.method().clone(),
            request.uri().path(),
            tracing::Span::current(),
        ));
        let inner = &self.inner;
        let future = RequestTasks::run_handler(&mut tasks, || inner.call(request));
        ResponseFuture {
            inner: future,
            tasks,
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

impl<F, T> Future for ResponseFuture<F>
where
    F: Future<Output = poem::Result<T>>,
    T: IntoResponse,
{
    type Output = poem::Result<Response>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut inner = this.inner;
        let output = match RequestTasks::run_handler(this.tasks, || inner.as_mut().poll(cx)) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(output) => output,
        };
        Poll::Ready(match output {
            Ok(output) => {
                let response = RequestTasks::run_handler(this.tasks, || output.into_response());
                Ok(with_trigger(response, this.tasks.take()))
            }
            // The handler asked for no queue: the error goes on untouched.
            Err(error) if !this.tasks.as_mut().is_some_and(has_queue) => {
                if let Some(tasks) = this.tasks.take() {
                    tasks.finish(None, Ending::Failed);
                }
                Err(error)
            }
            Err(error) => {
                let response = RequestTasks::run_handler(this.tasks, || error.into_response());
                Err(poem::Error::from_response(with_trigger(
                    response,
                    this.tasks.take(),
                )))
            }
        })
    }
}

/// Whether something asked for the request's queue.
fn has_queue(tasks: &mut RequestTasks) -> bool {
    tasks.scope_mut().tasks().is_some()
}

/// `response` with its body wrapped in the trigger that runs `tasks` when it ends.
fn with_trigger(response: Response, tasks: Option<RequestTasks>) -> Response {
    let Some(tasks) = tasks else {
        return response;
    };
    let (parts, body) = response.into_parts();
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|length| length.to_str().ok()?.parse().ok());
    let body = ResponseBody::new(PoemBody::from(body), parts.status, declared, tasks);
    Response::from_parts(parts, Body::from(BoxBody::new(body)))
}

impl<F> fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture")
            .field("tasks", &self.tasks)
            .finish_non_exhaustive()
    }
}
