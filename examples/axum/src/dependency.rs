//! FastAPI's second example, "Schedule tasks within dependencies": `POST
//! /send-notification/{email}?q=...`, where a dependency ([`GetQuery`]) and the handler add to the
//! same queue. With `?q=rust` the log gets `found query: rust` then `message to {email}`; without
//! `q`, only the second line.
//!
//! ```python
//! def write_log(message: str):
//!     with open("log.txt", mode="a") as log:
//!         log.write(message)
//!
//! def get_query(background_tasks: BackgroundTasks, q: str | None = None):
//!     if q:
//!         message = f"found query: {q}\n"
//!         background_tasks.add_task(write_log, message)
//!     return q
//!
//! @app.post("/send-notification/{email}")
//! async def send_notification(
//!     email: str,
//!     background_tasks: BackgroundTasks,
//!     q: Annotated[str | None, Depends(get_query)] = None,
//! ):
//!     message = f"message to {email}\n"
//!     background_tasks.add_task(write_log, message)
//!     return {"message": "Message sent"}
//! ```
//!
//! In axum, a dependency is an extractor: [`GetQuery`] extracts the request's `BackgroundTasks`
//! itself, exactly as the handler does, and both get the same queue.

use background_tasks_example_support::escape_controls;
use std::collections::HashMap;
use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRef, FromRequestParts, Path as UrlPath, Query, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use background_tasks::BackgroundTasks;
use background_tasks_tokio::TokioExecutor;
use background_tasks_tower::BackgroundTasksLayer;

use crate::{Settings, json};

/// Appends `message` (which ends with its own newline) to `log_file`.
///
/// A plain sync function, run on tokio's blocking pool by `add_task`.
///
/// # Errors
///
/// When the file cannot be opened or written; the layer reports the error with the task's label.
pub fn write_log(log_file: &Path, message: &str) -> io::Result<()> {
    let mut log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_file)?;
    log.write_all(message.as_bytes())
}

/// FastAPI's `get_query` dependency as an extractor: the query's `q`, if any; when it is given
/// (and not empty: Python's `if q:`), it queues `write_log("found query: {q}\n")` on the
/// request's queue.
///
/// It extracts [`BackgroundTasks`] itself, so it needs `BackgroundTasksLayer` like the handler.
/// Extractors run before the handler's body, so its task comes first in the queue, as a FastAPI
/// dependency's does.
///
/// # Errors
///
/// The rejection of `BackgroundTasks` (a `500` naming the missing layer) or of `Query` (a `400`
/// for a malformed query string).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetQuery(pub Option<String>);

impl<S> FromRequestParts<S> for GetQuery
where
    Arc<Settings>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let background_tasks = BackgroundTasks::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let Query(mut params) = Query::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let q = params.remove("q");
        if let Some(q) = q.as_deref().filter(|q| !q.is_empty()) {
            let message = format!("found query: {}\n", escape_controls(q));
            let log_file = Arc::<Settings>::from_ref(state).log_file.clone();
            background_tasks.add_task(move || write_log(&log_file, &message));
        }
        Ok(Self(q))
    }
}

/// `POST /send-notification/{email}`: after [`GetQuery`] has run, queues
/// `write_log("message to {email}\n")` and answers `{"message":"Message sent"}`.
async fn send_notification(
    State(settings): State<Arc<Settings>>,
    UrlPath(email): UrlPath<String>,
    background_tasks: BackgroundTasks,
    GetQuery(_q): GetQuery,
) -> Response {
    let message = format!("message to {}\n", escape_controls(&email));
    let log_file = settings.log_file.clone();
    background_tasks.add_task(move || write_log(&log_file, &message));
    json(r#"{"message":"Message sent"}"#)
}

/// The example's app: its route behind `layer`, which runs each request's tasks after its
/// response.
///
/// # Examples
///
/// ```no_run
/// use background_tasks_example_axum::{Settings, dependency, run};
/// use background_tasks_tokio::TokioExecutor;
/// use background_tasks_tower::BackgroundTasksLayer;
///
/// # async fn example() -> std::io::Result<()> {
/// let settings = Settings::default();
/// let layer = BackgroundTasksLayer::new(TokioExecutor::new());
/// let runner = layer.runner().clone();
/// run(&settings, dependency::app(&settings, layer), runner).await
/// # }
/// ```
pub fn app(settings: &Settings, layer: BackgroundTasksLayer<TokioExecutor>) -> Router {
    Router::new()
        .route("/send-notification/{email}", post(send_notification))
        .layer(layer)
        .with_state(Arc::new(settings.clone()))
}
