//! FastAPI's third example, "Using async functions": an async task that sleeps (5 s by default)
//! on tokio's timer after the response, then logs the cleanup.

use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use background_tasks::BackgroundTasks;
use poem::web::{Data, Path};
use poem::{Endpoint, EndpointExt, Response, Route, handler, post};
use tokio::io::AsyncWriteExt;

use crate::{Settings, json, method_not_allowed};

/// Sleeps `delay` (FastAPI's `asyncio.sleep(5)`), then prints and logs `Cleaned up {filename}`.
///
/// # Errors
///
/// When the log file cannot be opened or written.
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

/// `POST /process/{filename}`: answers at once; the cleanup runs after the response.
#[handler]
fn process_file(
    Data(settings): Data<&Arc<Settings>>,
    Path(filename): Path<String>,
    background_tasks: BackgroundTasks,
) -> Response {
    background_tasks.add_async_task(async_cleanup(
        settings.log_file.clone(),
        filename,
        settings.cleanup_delay,
    ));
    json(r#"{"message":"Processing started"}"#)
}

/// The example's app, for [`run`](crate::run) (which adds the middleware).
pub fn app(settings: &Settings) -> impl Endpoint + use<> {
    method_not_allowed(
        Route::new()
            .at("/process/:filename", post(process_file))
            .data(Arc::new(settings.clone())),
    )
}
