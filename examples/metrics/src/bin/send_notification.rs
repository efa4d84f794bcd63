//! Run with: cargo run -p background-tasks-example-metrics --bin metrics_send_notification
//!
//! FastAPI's first example, with Prometheus metrics at `GET /metrics`.
//! Then: `curl -X POST http://127.0.0.1:8000/send-notification/ada@example.com`,
//! `curl http://127.0.0.1:8000/metrics`.

use background_tasks_example_axum::{Settings, run};
use background_tasks_example_metrics::{app, install_recorder};
use background_tasks_tokio::TokioExecutor;
use background_tasks_tower::BackgroundTasksLayer;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let settings = Settings::from_env()?;
    let metrics = install_recorder().map_err(std::io::Error::other)?;
    let layer = BackgroundTasksLayer::new(TokioExecutor::new());
    let runner = layer.runner().clone();
    run(&settings, app(&settings, layer, metrics), runner).await
}
