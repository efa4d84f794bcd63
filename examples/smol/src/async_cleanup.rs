//! FastAPI's third example, "Using async functions", on smol: `POST /process/{filename}` answers
//! at once; [`async_cleanup`] then sleeps (5 s by default) on smol's timer and reports
//! `Cleaned up {filename}`, appending the line to the log file with smol's async file I/O.
//!
//! The handler is written once, for any runtime, in
//! `background_tasks_example_support::async_cleanup` (with FastAPI's Python beside it); this
//! module gives it [`Smol`]'s timer and files and serves it on smol.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use background_tasks_example_support::async_cleanup as shared;
use background_tasks_example_support::routing::ExampleService;
use background_tasks_smol::SmolExecutor;
use background_tasks_tower::BackgroundTasksLayer;

use crate::{Settings, Smol};

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
    shared::async_cleanup::<Smol>(log_file, filename, delay).await
}

/// The example's service: `POST /process/{filename}` behind `layer`, which runs each request's
/// tasks after its response; it queues [`async_cleanup`] and answers
/// `{"message":"Processing started"}`. Serve it with [`serve`](crate::serve) or
/// [`run`](crate::run).
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
) -> impl ExampleService + use<> {
    shared::service::<Smol, _>(settings, layer)
}
