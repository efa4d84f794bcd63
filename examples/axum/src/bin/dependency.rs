//! Run with: cargo run -p background-tasks-example-axum --bin axum_dependency
//!
//! FastAPI's second example: a dependency (an extractor) and the handler share the request's
//! queue.
//! Then: `curl -X POST 'http://127.0.0.1:8000/send-notification/ada@example.com?q=rust'`
//! and `cat log.txt`.
//!
//! Settings: `EXAMPLE_ADDR` (default 127.0.0.1:8000), `EXAMPLE_LOG_FILE` (default log.txt),
//! `EXAMPLE_CLEANUP_MS` (default 5000).

use background_tasks_example_axum::{Settings, dependency, run};
use background_tasks_tokio::TokioExecutor;
use background_tasks_tower::BackgroundTasksLayer;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let settings = Settings::from_env()?;
    let layer = BackgroundTasksLayer::new(TokioExecutor::new());
    let runner = layer.runner().clone();
    run(&settings, dependency::app(&settings, layer), runner).await
}
