//! [`BackgroundTasksEndpoint`]: the endpoint [`BackgroundTasksMiddleware`](crate::BackgroundTasksMiddleware)
//! wraps around the app's, its [`ResponseFuture`] and [`PoemAnswer`].

use std::fmt;
use std::future::Future;
use std::io;
use std::sync::Arc;

use background_tasks_http::{
    Answer, Dispatch, PendingResponse, RequestTasks, ResponseBody, declared_length,
};
use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use poem::{Body, Endpoint, IntoResponse, Request, Response};

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
        let tasks = RequestTasks::new(
            Arc::clone(&self.dispatch),
            request.method().clone(),
            request.uri().path(),
            tracing::Span::current(),
        );
        let inner = &self.inner;
        ResponseFuture::call(tasks, || inner.call(request))
    }
}

impl<Ep> fmt::Debug for BackgroundTasksEndpoint<Ep> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackgroundTasksEndpoint")
            .finish_non_exhaustive()
    }
}

/// The future of [`BackgroundTasksEndpoint::call`]: the inner endpoint's future, inside the
/// request's scope on every poll, whose response body is wrapped so that it starts the queue when
/// it ends.
///
/// An `Err` is a response in poem (its status and body come from the error): when the handler
/// queued tasks, the error's response gets the wrapped body and goes on as
/// `poem::Error::from_response`, so the tasks run after it as after any response. If the inner
/// future panics, the queue is discarded and reported. If this future is dropped before a response
/// (hyper drops the handler when the client goes away), the request is treated as a disconnect,
/// per [`OnDisconnect`](crate::OnDisconnect).
pub type ResponseFuture<F> = background_tasks_http::ResponseFuture<F, PoemAnswer>;

/// The [`Answer`] of a poem endpoint: its output (or its error) turned into a response inside the
/// request's scope, and that response's body wrapped so that it starts the queue when it ends.
#[derive(Debug)]
pub enum PoemAnswer {}

impl<T: IntoResponse> Answer<poem::Result<T>> for PoemAnswer {
    type Output = poem::Result<Response>;

    fn answer(output: poem::Result<T>, pending: &mut PendingResponse) -> Self::Output {
        match output {
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
        }
    }
}

/// `response` with its body wrapped in the trigger that runs `tasks` when it ends.
fn with_trigger(response: Response, tasks: Option<RequestTasks>) -> Response {
    if tasks.is_none() {
        return response;
    }
    let (parts, body) = response.into_parts();
    let declared = declared_length(&parts.headers);
    // A poem body as hyper sees it: what `poem::Body` holds, and what it is made from.
    let body: BoxBody<Bytes, io::Error> = body.into();
    let body = ResponseBody::new(body, parts.status, declared, tasks);
    Response::from_parts(parts, Body::from(BoxBody::new(body)))
}
