//! Run with: cargo run -p background-tasks-example-smol --bin smol_send_notification
//!
//! FastAPI's first example: a sync task queued by the handler.
//! Then: `curl -X POST http://127.0.0.1:8000/send-notification/ada@example.com && cat log.txt`
//!
//! Settings: `EXAMPLE_ADDR` (default 127.0.0.1:8000), `EXAMPLE_LOG_FILE` (default log.txt),
//! `EXAMPLE_CLEANUP_MS` (default 5000).

use background_tasks_example_smol::{Settings, run, send_notification};
use background_tasks_smol::SmolExecutor;
use background_tasks_tower::BackgroundTasksLayer;

fn main() -> std::io::Result<()> {
    let settings = Settings::from_env()?;
    let layer = BackgroundTasksLayer::new(SmolExecutor::new());
    let runner = layer.runner().clone();
    smol::block_on(run(
        &settings,
        send_notification::service(&settings, layer),
        runner,
    ))
}
