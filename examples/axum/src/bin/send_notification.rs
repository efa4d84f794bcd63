//! Run with: cargo run -p background-tasks-example-axum --bin axum_send_notification
//!
//! FastAPI's first example: a sync task queued by the handler.
//! Then: `curl -X POST http://127.0.0.1:8000/send-notification/ada@example.com && cat log.txt`
//!
//! Settings: `EXAMPLE_ADDR` (default 127.0.0.1:8000), `EXAMPLE_LOG_FILE` (default log.txt),
//! `EXAMPLE_CLEANUP_MS` (default 5000).

use background_tasks_example_axum::{Settings, run, send_notification};
use background_tasks_tokio::TokioExecutor;
use background_tasks_tower::BackgroundTasksLayer;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let settings = Settings::from_env()?;
    let layer = BackgroundTasksLayer::new(TokioExecutor::new());
    let runner = layer.runner().clone();
    run(&settings, send_notification::app(&settings, layer), runner).await
}
