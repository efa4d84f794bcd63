//! [`BackgroundTasks`] as an axum extractor, and [`MissingBackgroundTasks`], its rejection.
//!
//! The impl lives here rather than in `background-tasks-tower` because Rust's orphan rule lets only
//! the crate that owns a type implement a foreign trait for it. The queue itself is put in the
//! request by `background_tasks_tower::BackgroundTasksLayer`; this only hands out clones of it.

use std::fmt;

use axum_core::extract::{FromRequestParts, OptionalFromRequestParts};
use axum_core::response::{IntoResponse, Response};
use http::StatusCode;
use http::request::Parts;

use crate::BackgroundTasks;

/// Extracts the request's queue: a clone of the one `BackgroundTasksLayer` put in the request's
/// extensions. Every extractor and the handler that ask for it get the same queue, so tasks run in
/// the order they were added.
///
/// # Errors
///
/// [`MissingBackgroundTasks`] (a `500 Internal Server Error`) when the layer is not installed on
/// the route.
impl<S: Send + Sync> FromRequestParts<S> for BackgroundTasks {
    type Rejection = MissingBackgroundTasks;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<BackgroundTasks>()
            .cloned()
            .ok_or(MissingBackgroundTasks { _private: () })
    }
}

/// `Option<BackgroundTasks>` extracts `None` instead of failing when the layer is not installed,
/// for code that can do without background work.
impl<S: Send + Sync> OptionalFromRequestParts<S> for BackgroundTasks {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<BackgroundTasks>().cloned())
    }
}

/// The rejection for a handler that asks for [`BackgroundTasks`] on a route without
/// `BackgroundTasksLayer`: a `500 Internal Server Error` whose body says which layer to add.
///
/// It is a server bug, not a client error, so it is also logged as a `tracing` error event when
/// turned into a response.
///
/// # Examples
///
/// ```
/// use axum_core::extract::FromRequestParts;
/// use background_tasks::{BackgroundTasks, MissingBackgroundTasks};
///
/// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     let mut f = std::pin::pin!(f);
/// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
/// #     loop { if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } }
/// # }
/// let (mut parts, ()) = http::Request::new(()).into_parts();
/// let missing: MissingBackgroundTasks =
///     block_on(BackgroundTasks::from_request_parts(&mut parts, &())).unwrap_err();
/// assert!(missing.to_string().contains("BackgroundTasksLayer"));
///
/// parts.extensions.insert(BackgroundTasks::new());
/// assert!(block_on(BackgroundTasks::from_request_parts(&mut parts, &())).is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingBackgroundTasks {
    _private: (),
}

impl MissingBackgroundTasks {
    /// The status of the rejection's response: `500 Internal Server Error`.
    pub const STATUS: StatusCode = StatusCode::INTERNAL_SERVER_ERROR;
}

impl fmt::Display for MissingBackgroundTasks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "missing background tasks: this request has no `BackgroundTasks` queue; add \
             background_tasks_tower::BackgroundTasksLayer to the router, e.g. \
             `Router::new().route(\"/\", get(handler)).layer(BackgroundTasksLayer::new(TokioExecutor::new()))`",
        )
    }
}

impl std::error::Error for MissingBackgroundTasks {}

impl IntoResponse for MissingBackgroundTasks {
    fn into_response(self) -> Response {
        tracing::error!(error = %self, "background tasks extractor rejected the request");
        (Self::STATUS, self.to_string()).into_response()
    }
}
