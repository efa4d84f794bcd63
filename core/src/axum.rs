//! [`BackgroundTasks`] as an axum extractor.
//!
//! The impl lives here rather than in `background-tasks-tower` because Rust's orphan rule lets only
//! the crate that owns a type implement a foreign trait for it. The request's queue comes from the
//! [`RequestScope`](crate::integration::RequestScope) that `background_tasks_tower::BackgroundTasksLayer`
//! enters around the handler.

use axum_core::extract::{FromRequestParts, OptionalFromRequestParts};
use axum_core::response::{IntoResponse, Response};
use http::request::Parts;

use crate::{BackgroundTasks, MissingBackgroundTasks};

/// Extracts the request's queue, [`BackgroundTasks::current`]: every extractor and the handler that
/// ask for it get the same queue, so tasks run in the order they were added, as FastAPI shares one
/// instance between dependencies and the endpoint. The queue is created by the first extraction;
/// a request that never extracts it costs no allocation.
///
/// # Errors
///
/// [`MissingBackgroundTasks`] (a `500 Internal Server Error` whose body names the layer to add)
/// when the route has no `BackgroundTasksLayer`.
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
impl<S: Send + Sync> FromRequestParts<S> for BackgroundTasks {
    type Rejection = MissingBackgroundTasks;

    async fn from_request_parts(_parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        BackgroundTasks::try_current()
    }
}

/// `Option<BackgroundTasks>` extracts `None` instead of failing when the layer is not installed,
/// for code that can do without background work.
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
impl<S: Send + Sync> OptionalFromRequestParts<S> for BackgroundTasks {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        _parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(BackgroundTasks::current())
    }
}

/// A `500 Internal Server Error` whose body says which layer to add in debug builds (a generic
/// message in release builds). It is a server bug, not a client error, so it is also logged as a `tracing` error event.
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
impl IntoResponse for MissingBackgroundTasks {
    fn into_response(self) -> Response {
        tracing::error!(error = %self, "background tasks extractor rejected the request");
        (
            http::StatusCode::INTERNAL_SERVER_ERROR,
            self.response_body(),
        )
            .into_response()
    }
}
