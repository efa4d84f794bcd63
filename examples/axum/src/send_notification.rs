//! FastAPI's first example, "Schedule a task in a path operation": `POST
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

use background_tasks_example_support::escape_controls;
use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::response::Response;
use axum::routing::post;
use background_tasks::BackgroundTasks;
use background_tasks_tokio::TokioExecutor;
use background_tasks_tower::BackgroundTasksLayer;

use crate::{Settings, json};

/// Appends `notification for {email}: {message}` to `log_file`.
///
/// A plain sync function with blocking file I/O, as FastAPI's `def`: `add_task` runs it on tokio's
/// blocking pool, never on an async worker.
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
        escape_controls(email),
        escape_controls(message)
    );
    email_file.write_all(content.as_bytes())
}

/// `POST /send-notification/{email}`: queues [`write_notification`] and answers
/// `{"message":"Notification sent in the background"}`.
async fn send_notification(
    State(settings): State<Arc<Settings>>,
    UrlPath(email): UrlPath<String>,
    background_tasks: BackgroundTasks,
) -> Response {
    let log_file = settings.log_file.clone();
    background_tasks.add_task(move || write_notification(&log_file, &email, "some notification"));
    json(r#"{"message":"Notification sent in the background"}"#)
}

/// The example's app: its route behind `layer`, which runs each request's tasks after its
/// response.
///
/// # Examples
///
/// ```no_run
/// use background_tasks_example_axum::{Settings, send_notification, serve};
/// use background_tasks_tokio::TokioExecutor;
/// use background_tasks_tower::BackgroundTasksLayer;
///
/// # async fn example() -> std::io::Result<()> {
/// let settings = Settings::default();
/// let layer = BackgroundTasksLayer::new(TokioExecutor::new());
/// let runner = layer.runner().clone();
/// let app = send_notification::app(&settings, layer);
/// let listener = tokio::net::TcpListener::bind(settings.addr).await?;
/// serve(&settings, listener, app).await // or axum::serve(listener, app), without a header timeout
/// # }
/// ```
pub fn app(settings: &Settings, layer: BackgroundTasksLayer<TokioExecutor>) -> Router {
    Router::new()
        .route("/send-notification/{email}", post(send_notification))
        .layer(layer)
        .with_state(Arc::new(settings.clone()))
}
