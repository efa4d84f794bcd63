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

use std::convert::Infallible;
use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::Path;

use background_tasks_async_std::AsyncStdExecutor;
use background_tasks_example_support::routing::{
    Body, Rejection, background_tasks, json, post_service,
};
use background_tasks_tower::BackgroundTasksLayer;
use background_tasks_tower::body::ResponseBody;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use tower::Service;

use crate::Settings;

/// Appends `notification for {email}: {message}` to `log_file`.
///
/// A plain sync function with blocking file I/O, as FastAPI's `def`: `add_task` runs it on
/// async-std's blocking pool, never on an executor thread.
///
/// # Errors
///
/// When the file cannot be opened or written; the layer reports the error with the task's label.
pub fn write_notification(log_file: &Path, email: &str, message: &str) -> io::Result<()> {
    let mut email_file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_file)?;
    let content = format!("notification for {email}: {message}\n");
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
/// response. Serve it with [`serve`](crate::serve) or [`run`](crate::run).
///
/// # Examples
///
/// ```no_run
/// use background_tasks_example_async_std::{Settings, send_notification, serve};
/// use background_tasks_async_std::AsyncStdExecutor;
/// use background_tasks_tower::BackgroundTasksLayer;
///
/// async_std::task::block_on(async {
///     let settings = Settings::default();
///     let layer = BackgroundTasksLayer::new(AsyncStdExecutor::new());
///     let runner = layer.runner().clone();
///     let service = send_notification::service(&settings, layer);
///     let listener = async_std::net::TcpListener::bind(settings.addr).await?;
///     serve(&settings, listener, service).await
/// })
/// # .unwrap();
/// ```
pub fn service(
    settings: &Settings,
    layer: BackgroundTasksLayer<AsyncStdExecutor>,
) -> impl Service<
    Request<Incoming>,
    Response = Response<ResponseBody<Body>>,
    Error = Infallible,
    Future: Send,
> + Clone
+ Send
+ use<> {
    post_service(
        settings,
        layer,
        "/send-notification/",
        |settings, _request, email| send_notification(settings, email),
    )
}
