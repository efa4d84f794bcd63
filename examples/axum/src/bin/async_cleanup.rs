//! Run with: cargo run -p background-tasks-example-axum --bin axum_async_cleanup
//!
//! FastAPI's third example: an async task that sleeps 5 s on tokio's timer after the response.
//! Then: `curl -X POST http://127.0.0.1:8000/process/report.csv   # then, 5 s later: cat log.txt`
//!
//! Settings: `EXAMPLE_ADDR` (default 127.0.0.1:8000), `EXAMPLE_LOG_FILE` (default log.txt),
//! `EXAMPLE_CLEANUP_MS` (default 5000).

use background_tasks_example_axum::{Settings, async_cleanup, run};
use background_tasks_tokio::TokioExecutor;
use background_tasks_tower::BackgroundTasksLayer;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let settings = Settings::from_env()?;
    let layer = BackgroundTasksLayer::new(TokioExecutor::new());
    let runner = layer.runner().clone();
    run(&settings, async_cleanup::app(&settings, layer), runner).await
}
