//! FastAPI's third example, "Using async functions": an async task that sleeps (5 s by default)
//! on tokio's timer after the response, then logs the cleanup.

use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use background_tasks::BackgroundTasks;
use rocket::tokio;
use rocket::tokio::io::AsyncWriteExt;
use rocket::{Route, State, post, routes};

use crate::{Json, Settings, json, post_only};

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
#[post("/process/<filename>")]
fn process_file(
    settings: &State<Arc<Settings>>,
    filename: String,
    background_tasks: BackgroundTasks,
) -> Json {
    background_tasks.add_async_task(async_cleanup(
        settings.log_file.clone(),
        filename,
        settings.cleanup_delay,
    ));
    json(r#"{"message":"Processing started"}"#)
}

/// The example's routes, for [`run`](crate::run).
pub fn routes() -> Vec<Route> {
    post_only("/process/<filename>", routes![process_file])
}
