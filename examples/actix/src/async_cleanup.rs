//! FastAPI's third example, "Using async functions": an async task that sleeps (5 s by default)
//! on tokio's timer after the response, then logs the cleanup.

use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use actix_web::HttpResponse;
use actix_web::web::{self, ServiceConfig};
use background_tasks::BackgroundTasks;
use tokio::io::AsyncWriteExt;

use crate::{Settings, json, post_only};

/// Sleeps `delay` (FastAPI's `asyncio.sleep(5)`), then prints and logs `Cleaned up {filename}`.
/// It runs on the application's tokio runtime, not on actix's worker.
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
async fn process_file(
    settings: web::Data<Arc<Settings>>,
    filename: web::Path<String>,
    background_tasks: BackgroundTasks,
) -> HttpResponse {
    background_tasks.add_async_task(async_cleanup(
        settings.log_file.clone(),
        filename.into_inner(),
        settings.cleanup_delay,
    ));
    json(r#"{"message":"Processing started"}"#)
}

/// The example's routes, for `App::configure`.
pub fn routes(settings: &Settings) -> impl Fn(&mut ServiceConfig) + Clone + Send + use<> {
    let settings = web::Data::new(Arc::new(settings.clone()));
    move |config| {
        config.app_data(settings.clone()).service(post_only(
            "/process/{filename}",
            web::post().to(process_file),
        ));
    }
}
