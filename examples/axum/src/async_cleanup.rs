//! FastAPI's third example, "Using async functions": `POST /process/{filename}` answers at once;
//! `async_cleanup` then sleeps (5 s by default) on tokio's timer and reports
//! `Cleaned up {filename}`.
//!
//! ```python
//! async def async_cleanup(filename: str):
//!     await asyncio.sleep(5)  # Simulate long-running async work
//!     print(f"Cleaned up {filename}")
//!
//! @app.post("/process/{filename}")
//! async def process_file(filename: str, background_tasks: BackgroundTasks):
//!     background_tasks.add_task(async_cleanup, filename)
//!     return {"message": "Processing started"}
//! ```
//!
//! Besides printing the line, as FastAPI does, `async_cleanup` appends it to the log file (with
//! tokio's async file I/O), so that you and the tests can see that it ran.

use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::response::Response;
use axum::routing::post;
use background_tasks::BackgroundTasks;
use background_tasks_tokio::TokioExecutor;
use background_tasks_tower::BackgroundTasksLayer;
use tokio::io::AsyncWriteExt;

use crate::{Settings, json};

/// Sleeps for `delay` on tokio's timer (simulating long-running async work), then prints
/// `Cleaned up {filename}` and appends that line to `log_file`.
///
/// An async function: `add_async_task` has the runtime await it, on an async worker, without
/// tying up a thread while it sleeps.
///
/// # Errors
///
/// When the log file cannot be opened or written; the layer reports the error with the task's
/// label.
pub async fn async_cleanup(log_file: PathBuf, filename: String, delay: Duration) -> io::Result<()> {
    tokio::time::sleep(delay).await; // Simulate long-running async work
    let line = format!("Cleaned up {filename}");
    println!("{line}");
    let mut log = tokio::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_file)
        .await?;
    log.write_all(format!("{line}\n").as_bytes()).await?;
    // tokio's files write in the background: flush to know the line is in the file.
    log.flush().await
}

/// `POST /process/{filename}`: queues [`async_cleanup`] and answers
/// `{"message":"Processing started"}`.
async fn process_file(
    State(settings): State<Arc<Settings>>,
    UrlPath(filename): UrlPath<String>,
    background_tasks: BackgroundTasks,
) -> Response {
    background_tasks.add_async_task(async_cleanup(
        settings.log_file.clone(),
        filename,
        settings.cleanup_delay,
    ));
    json(r#"{"message":"Processing started"}"#)
}

/// The example's app: its route behind `layer`, which runs each request's tasks after its
/// response.
///
/// # Examples
///
/// ```no_run
/// use background_tasks_example_axum::{Settings, async_cleanup, run};
/// use background_tasks_tokio::TokioExecutor;
/// use background_tasks_tower::BackgroundTasksLayer;
///
/// # async fn example() -> std::io::Result<()> {
/// let settings = Settings::default();
/// let layer = BackgroundTasksLayer::new(TokioExecutor::new());
/// let runner = layer.runner().clone();
/// run(&settings, async_cleanup::app(&settings, layer), runner).await
/// # }
/// ```
pub fn app(settings: &Settings, layer: BackgroundTasksLayer<TokioExecutor>) -> Router {
    Router::new()
        .route("/process/{filename}", post(process_file))
        .layer(layer)
        .with_state(Arc::new(settings.clone()))
}
