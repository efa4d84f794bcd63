//! FastAPI's third example, "Using async functions", for any executor and the [`Runtime`] it
//! belongs to: `POST /process/{filename}` answers at once; [`async_cleanup`] then sleeps (5 s by
//! default) on the runtime's timer and reports `Cleaned up {filename}`.
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
//! the runtime's async file I/O), so that you and the tests can see that it ran.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use background_tasks::Executor;
use background_tasks_tower::BackgroundTasksLayer;
use hyper::{Response, StatusCode};

use crate::routing::{Body, ExampleService, Rejection, background_tasks, json, post_service};
use crate::{Runtime, Settings};

/// Sleeps for `delay` on `R`'s timer (simulating long-running async work), then prints
/// `Cleaned up {filename}` and appends that line to `log_file`.
///
/// An async function: `add_async_task` has the executor await it, without tying up a thread while
/// it sleeps.
///
/// # Errors
///
/// When the log file cannot be opened or written; the layer reports the error with the task's
/// label.
pub async fn async_cleanup<R: Runtime>(
    log_file: PathBuf,
    filename: String,
    delay: Duration,
) -> io::Result<()> {
    R::sleep(delay).await; // Simulate long-running async work
    let line = format!("Cleaned up {filename}");
    println!("{line}");
    R::append(log_file, format!("{line}\n")).await
}

/// `POST /process/{filename}`: queues [`async_cleanup`] and answers
/// `{"message":"Processing started"}`.
fn process_file<R: Runtime>(
    settings: &Settings,
    filename: String,
) -> Result<Response<Body>, Rejection> {
    let background_tasks = background_tasks()?;
    background_tasks.add_async_task(async_cleanup::<R>(
        settings.log_file.clone(),
        filename,
        settings.cleanup_delay,
    ));
    Ok(json(StatusCode::OK, r#"{"message":"Processing started"}"#))
}

/// The example's service: its route behind `layer`, which runs each request's tasks after its
/// response on the layer's executor, the cleanup on `R`'s timer. The example crates serve it with
/// their `serve` or `run`.
pub fn service<R: Runtime, E: Executor + Clone>(
    settings: &Settings,
    layer: BackgroundTasksLayer<E>,
) -> impl ExampleService + use<R, E> {
    post_service(
        settings,
        layer,
        "/process/",
        |settings, _request, filename| process_file::<R>(settings, filename),
    )
}
