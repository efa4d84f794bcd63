//! FastAPI's second example, "Schedule tasks within dependencies", for any executor: `POST
//! /send-notification/{email}?q=...`, where a dependency ([`get_query`]) and the handler add to
//! the same queue. With `?q=rust` the log gets `found query: rust` then `message to {email}`;
//! without `q`, only the second line.
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
//! Without a framework, a dependency is a function given the request: [`get_query`] takes the
//! request's queue with `BackgroundTasks::current()`, as the handler does, and both get the same queue. The
//! handler calls it first, as FastAPI resolves dependencies before the endpoint runs. The smol
//! and async-std examples serve this service on their runtime.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::Path;

use background_tasks::Executor;
use background_tasks_tower::BackgroundTasksLayer;
use hyper::{Request, Response, StatusCode};

use crate::Settings;
use crate::routing::{
    Body, ExampleService, Rejection, background_tasks, json, post_service, query_param,
};

/// Appends `message` (which ends with its own newline) to `log_file`.
///
/// A plain sync function, run on the executor's blocking pool by `add_task`.
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

/// FastAPI's `get_query` dependency: the query's `q`, if any; when it is given (and not empty:
/// Python's `if q:`), it queues `write_log("found query: {q}\n")` on the request's queue, which
/// it takes with `BackgroundTasks::current()`, as an extractor would.
///
/// # Errors
///
/// [`Rejection::MissingBackgroundTasks`] when the request has no queue.
pub fn get_query<B>(request: &Request<B>, log_file: &Path) -> Result<Option<String>, Rejection> {
    let background_tasks = background_tasks()?;
    let q = query_param(request, "q");
    if let Some(q) = q.as_deref().filter(|q| !q.is_empty()) {
        let message = format!("found query: {}\n", crate::escape_controls(q));
        let log_file = log_file.to_owned();
        background_tasks.add_task(move || write_log(&log_file, &message));
    }
    Ok(q)
}

/// `POST /send-notification/{email}`: runs [`get_query`], then queues
/// `write_log("message to {email}\n")` and answers `{"message":"Message sent"}`.
fn send_notification<B>(
    settings: &Settings,
    request: &Request<B>,
    email: String,
) -> Result<Response<Body>, Rejection> {
    let _q = get_query(request, &settings.log_file)?;
    let background_tasks = background_tasks()?;
    let message = format!("message to {}\n", crate::escape_controls(&email));
    let log_file = settings.log_file.clone();
    background_tasks.add_task(move || write_log(&log_file, &message));
    Ok(json(StatusCode::OK, r#"{"message":"Message sent"}"#))
}

/// The example's service: its route behind `layer`, which runs each request's tasks after its
/// response on the layer's executor. The example crates serve it with their `serve` or `run`.
pub fn service<E: Executor + Clone>(
    settings: &Settings,
    layer: BackgroundTasksLayer<E>,
) -> impl ExampleService + use<E> {
    post_service(settings, layer, "/send-notification/", send_notification)
}
