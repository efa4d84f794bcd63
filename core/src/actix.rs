//! [`BackgroundTasks`] as an actix-web extractor.
//!
//! The impl lives here rather than in `background-tasks-actix` because Rust's orphan rule lets
//! only the crate that owns a type implement a foreign trait for it. The request's queue comes from
//! the [`RequestScope`](crate::integration::RequestScope) that
//! `background_tasks_actix::BackgroundTasksMiddleware` enters around every poll of the handler.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError};

use crate::{BackgroundTasks, MissingBackgroundTasks};

/// Extracts the request's queue, [`BackgroundTasks::current`]: every extractor and the handler that
/// ask for it get the same queue, so tasks run in the order they were added, as FastAPI shares one
/// instance between dependencies and the endpoint. The queue is created by the first extraction;
/// a request that never extracts it costs no allocation.
///
/// `Option<BackgroundTasks>` extracts `None` instead of failing when the middleware is missing
/// (actix-web's blanket `FromRequest for Option<T>`).
///
/// # Errors
///
/// [`MissingBackgroundTasks`] (a `500 Internal Server Error` whose body names the middleware to
/// add) when the app has no `BackgroundTasksMiddleware`.
#[cfg_attr(docsrs, doc(cfg(feature = "actix")))]
impl FromRequest for BackgroundTasks {
    type Error = MissingBackgroundTasks;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(_request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(BackgroundTasks::try_current())
    }
}

/// A `500 Internal Server Error` whose body says which middleware to add in debug builds (a
/// generic message in release builds). It is a server bug, not a client error, so it is also logged as a `tracing` error event.
#[cfg_attr(docsrs, doc(cfg(feature = "actix")))]
impl ResponseError for MissingBackgroundTasks {
    fn status_code(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }

    fn error_response(&self) -> HttpResponse {
        tracing::error!(error = %self, "background tasks extractor rejected the request");
        HttpResponse::InternalServerError()
            .content_type("text/plain; charset=utf-8")
            .body(self.response_body())
    }
}
