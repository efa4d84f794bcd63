//! FastAPI's first example, "Schedule a task in a path operation", for any executor: `POST
//! /send-notification/{email}` answers at once and appends
//! `notification for {email}: some notification` to the log afterwards.
//!
//! ```python
//! def write_notification(email: str, message: str = ""):
//!     with open("log.txt", mode="a") as email_file:
//!         content = f"notification for {email}: {message}\n"
//!         email_file.write(content)
//!
//! @app.post("/send-notification/{email}")
//! async def send_notification(email: str, background_tasks: BackgroundTasks):
//!     background_tasks.add_task(write_notification, email, message="some notification")
//!     return {"message": "Notification sent in the background"}
//! ```
//!
//! The smol and async-std examples serve this service on their runtime.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::Path;

use background_tasks::Executor;
use background_tasks_tower::BackgroundTasksLayer;
use hyper::{Response, StatusCode};

use crate::Settings;
use crate::routing::{Body, ExampleService, Rejection, background_tasks, json, post_service};

/// Appends `notification for {email}: {message}` to `log_file`.
///
/// A plain sync function with blocking file I/O, as FastAPI's `def`: `add_task` runs it on the
/// executor's blocking pool, never on an executor thread.
///
/// # Errors
///
/// When the file cannot be opened or written; the layer reports the error with the task's label.
pub fn write_notification(log_file: &Path, email: &str, message: &str) -> io::Result<()> {
    let mut email_file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_file)?;
    let content = format!(
        "notification for {}: {}\n",
        crate::escape_controls(email),
        crate::escape_controls(message)
    );
    email_file.write_all(content.as_bytes())
}

/// `POST /send-notification/{email}`: queues [`write_notification`] and answers
/// `{"message":"Notification sent in the background"}`.
fn send_notification(settings: &Settings, email: String) -> Result<Response<Body>, Rejection> {
    let background_tasks = background_tasks()?;
    let log_file = settings.log_file.clone();
    background_tasks.add_task(move || write_notification(&log_file, &email, "some notification"));
    Ok(json(
        StatusCode::OK,
        r#"{"message":"Notification sent in the background"}"#,
    ))
}

/// The example's service: its route behind `layer`, which runs each request's tasks after its
/// response on the layer's executor. The example crates serve it with their `serve` or `run`.
pub fn service<E: Executor + Clone>(
    settings: &Settings,
    layer: BackgroundTasksLayer<E>,
) -> impl ExampleService + use<E> {
    post_service(
        settings,
        layer,
        "/send-notification/",
        |settings, _request, email| send_notification(settings, email),
    )
}
