//! Run with: cargo run -p background-tasks-example-smol --bin smol_async_cleanup
//!
//! FastAPI's third example: an async task that sleeps 5 s on smol's timer after the response.
//! Then: `curl -X POST http://127.0.0.1:8000/process/report.csv   # then, 5 s later: cat log.txt`
//!
//! Settings: `EXAMPLE_ADDR` (default 127.0.0.1:8000), `EXAMPLE_LOG_FILE` (default log.txt),
//! `EXAMPLE_CLEANUP_MS` (default 5000).

use background_tasks_example_smol::{Settings, async_cleanup, run};
use background_tasks_smol::SmolExecutor;
use background_tasks_tower::BackgroundTasksLayer;

fn main() -> std::io::Result<()> {
    let settings = Settings::from_env()?;
    let layer = BackgroundTasksLayer::new(SmolExecutor::new());
    let runner = layer.runner().clone();
    smol::block_on(run(
        &settings,
        async_cleanup::service(&settings, layer),
        runner,
    ))
}
