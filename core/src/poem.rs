//! [`BackgroundTasks`] as a poem extractor.
//!
//! The impl lives here rather than in `background-tasks-poem` because Rust's orphan rule lets only
//! the crate that owns a type implement a foreign trait for it. The request's queue comes from the
//! [`RequestScope`](crate::integration::RequestScope) that `background_tasks_poem`'s middleware
//! enters around every poll of the endpoint it wraps.

use poem::error::ResponseError;
use poem::http::StatusCode;
use poem::{FromRequest, IntoResponse, Request, RequestBody, Response};

use crate::{BackgroundTasks, MissingBackgroundTasks};

/// What a poem app without the middleware is told: the fix, in poem's own terms.
const MISSING_MIDDLEWARE: &str = "missing background tasks: this request has no \
    `BackgroundTasks` queue; add background_tasks_poem::BackgroundTasksMiddleware to the \
    endpoint, e.g. `Route::new().at(\"/\", post(handler)).with(BackgroundTasksMiddleware::new(TokioExecutor::new()))`, \
    and ask for the queue from the handler itself (take a clone into spawned tasks)";

/// Extracts the request's queue, [`BackgroundTasks::current`]: every extractor and the handler that
/// ask for it get the same queue, so tasks run in the order they were added, as FastAPI shares one
/// instance between dependencies and the endpoint. The queue is created by the first extraction;
/// a request that never extracts it costs no allocation.
///
/// `Option<BackgroundTasks>` extracts `None` instead of failing when the middleware is missing
/// (poem's `FromRequest for Option<T>`).
///
/// # Errors
///
/// [`MissingBackgroundTasks`] (a `500 Internal Server Error` whose body names the middleware to
/// add) when the endpoint is not wrapped in `background_tasks_poem::BackgroundTasksMiddleware`.
#[cfg_attr(docsrs, doc(cfg(feature = "poem")))]
impl<'a> FromRequest<'a> for BackgroundTasks {
    async fn from_request(_request: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        Ok(BackgroundTasks::try_current()?)
    }
}

/// A `500 Internal Server Error` whose body says which middleware to add. It is a server bug, not
/// a client error, so it is also logged as a `tracing` error event.
#[cfg_attr(docsrs, doc(cfg(feature = "poem")))]
impl ResponseError for MissingBackgroundTasks {
    fn status(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }

    fn as_response(&self) -> Response {
        tracing::error!(
            error = MISSING_MIDDLEWARE,
            "background tasks extractor rejected the request"
        );
        MISSING_MIDDLEWARE
            .with_status(StatusCode::INTERNAL_SERVER_ERROR)
            .with_content_type("text/plain; charset=utf-8")
            .into_response()
    }
}
