//! [`BackgroundTasksService`]: the service [`BackgroundTasksMiddleware`](crate::BackgroundTasksMiddleware)
//! wraps around the app's, its [`ResponseFuture`] and [`ActixAnswer`].

use std::fmt;
use std::sync::Arc;

use actix_web::body::{BodySize, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, forward_ready};
use actix_web::http::header;
use background_tasks_http::{Answer, Dispatch, PendingResponse, RequestTasks};

use crate::body::ResponseBody;

/// Gives every request its own [`BackgroundTasks`](background_tasks::BackgroundTasks) queue,
/// calls the inner service, and runs the queue once the response body has ended. Built by
/// [`BackgroundTasksMiddleware`](crate::BackgroundTasksMiddleware); see there for the settings.
pub struct BackgroundTasksService<S> {
    inner: S,
    dispatch: Arc<dyn Dispatch>,
}

impl<S> BackgroundTasksService<S> {
    pub(crate) fn new(inner: S, dispatch: Arc<dyn Dispatch>) -> Self {
        Self { inner, dispatch }
    }
}

impl<S, B> Service<ServiceRequest> for BackgroundTasksService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    type Response = ServiceResponse<ResponseBody<B>>;
    type Error = actix_web::Error;
    type Future = ResponseFuture<S::Future>;

    forward_ready!(inner);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        let tasks = RequestTasks::new(
            Arc::clone(&self.dispatch),
            // actix-web speaks `http` 0.2; every method it parsed is a valid token for `http` 1.
            http::Method::from_bytes(request.method().as_str().as_bytes()).unwrap_or_default(),
            request.path(),
            tracing::Span::current(),
        );
        let inner = &self.inner;
        ResponseFuture::call(tasks, || inner.call(request))
    }
}

impl<S> fmt::Debug for BackgroundTasksService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackgroundTasksService")
            .finish_non_exhaustive()
    }
}

/// The response future of [`BackgroundTasksService`]: the inner service's future, inside the
/// request's scope on every poll, whose response body is wrapped in a [`ResponseBody`] that starts
/// the queue when it ends.
///
/// If the inner future fails or panics, the queue is discarded and reported. If this future is
/// dropped before a response (actix-web drops the handler when the client goes away), the request
/// is treated as a disconnect, per [`OnDisconnect`](crate::OnDisconnect).
pub type ResponseFuture<F> = background_tasks_http::ResponseFuture<F, ActixAnswer>;

/// The [`Answer`] of an actix-web service: its response's body wrapped in a [`ResponseBody`]; an
/// `Err` ends the request without a response.
#[derive(Debug)]
pub enum ActixAnswer {}

impl<B: MessageBody> Answer<Result<ServiceResponse<B>, actix_web::Error>> for ActixAnswer {
    type Output = Result<ServiceResponse<ResponseBody<B>>, actix_web::Error>;

    fn answer(
        output: Result<ServiceResponse<B>, actix_web::Error>,
        pending: &mut PendingResponse,
    ) -> Self::Output {
        let (response, tasks) = pending.answer(output)?;
        let status = http::StatusCode::from_u16(response.status().as_u16())
            .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
        let declared = declared_length(&response);
        Ok(response.map_body(|_, body| ResponseBody::new(body, status, declared, tasks)))
    }
}

/// The bytes the response declares: its body's exact size, or its `Content-Length` header (a
/// stream sent with `no_chunking`).
fn declared_length<B: MessageBody>(response: &ServiceResponse<B>) -> Option<u64> {
    match response.response().body().size() {
        BodySize::None => Some(0),
        BodySize::Sized(len) => Some(len),
        BodySize::Stream => response
            .headers()
            .get(header::CONTENT_LENGTH)?
            .to_str()
            .ok()?
            .parse()
            .ok(),
    }
}
