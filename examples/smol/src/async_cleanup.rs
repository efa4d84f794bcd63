//! FastAPI's third example, "Using async functions": `POST /process/{filename}` answers at once;
//! `async_cleanup` then sleeps (5 s by default) on smol's timer and reports
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
//! smol's async file I/O), so that you and the tests can see that it ran.

use std::convert::Infallible;
use std::io;
use std::path::PathBuf;
use std::time::Duration;

use background_tasks_example_support::routing::{
    Body, Rejection, background_tasks, json, post_service,
};
use background_tasks_smol::SmolExecutor;
use background_tasks_tower::BackgroundTasksLayer;
use background_tasks_tower::body::ResponseBody;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use smol::io::AsyncWriteExt;
use tower::Service;

use crate::Settings;

/// Sleeps for `delay` on smol's timer (simulating long-running async work), then prints
/// `Cleaned up {filename}` and appends that line to `log_file`.
///
/// An async function: `add_async_task` has the executor await it, without tying up a thread while
/// it sleeps.
///
/// # Errors
///
/// When the log file cannot be opened or written; the layer reports the error with the task's
/// label.
pub async fn async_cleanup(log_file: PathBuf, filename: String, delay: Duration) -> io::Result<()> {
    smol::Timer::after(delay).await; // Simulate long-running async work
    let line = format!("Cleaned up {filename}");
    println!("{line}");
    let mut log = smol::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_file)
        .await?;
    log.write_all(format!("{line}\n").as_bytes()).await?;
    // Async files write in the background: flush to know the line is in the file.
    log.flush().await
}

/// `POST /process/{filename}`: queues [`async_cleanup`] and answers
/// `{"message":"Processing started"}`.
fn process_file(settings: &Settings, filename: String) -> Result<Response<Body>, Rejection> {
    let background_tasks = background_tasks()?;
    background_tasks.add_async_task(async_cleanup(
        settings.log_file.clone(),
        filename,
        settings.cleanup_delay,
    ));
    Ok(json(StatusCode::OK, r#"{"message":"Processing started"}"#))
}

/// The example's service: its route behind `layer`, which runs each request's tasks after its
/// response. Serve it with [`serve`](crate::serve) or [`run`](crate::run).
///
/// # Examples
///
/// ```no_run
/// use background_tasks_example_smol::{Settings, async_cleanup, run};
/// use background_tasks_smol::SmolExecutor;
/// use background_tasks_tower::BackgroundTasksLayer;
///
/// let settings = Settings::default();
/// let layer = BackgroundTasksLayer::new(SmolExecutor::new());
/// let runner = layer.runner().clone();
/// smol::block_on(run(&settings, async_cleanup::service(&settings, layer), runner))
/// # .unwrap();
/// ```
pub fn service(
    settings: &Settings,
    layer: BackgroundTasksLayer<SmolExecutor>,
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
        "/process/",
        |settings, _request, filename| process_file(settings, filename),
    )
}
