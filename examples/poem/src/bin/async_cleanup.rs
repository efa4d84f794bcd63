//! Run with: cargo run -p background-tasks-example-poem --bin poem_async_cleanup
//!
//! FastAPI's third example: an async task that sleeps 5 s on tokio's timer after the response.
//! Then: `curl -X POST http://127.0.0.1:8000/process/report.csv   # then, 5 s later: cat log.txt`
//!
//! Settings: `EXAMPLE_ADDR` (default 127.0.0.1:8000), `EXAMPLE_LOG_FILE` (default log.txt),
//! `EXAMPLE_CLEANUP_MS` (default 5000).
//! Ctrl-C or SIGTERM stops the server, then waits for the queued tasks.

use background_tasks_example_poem::{Settings, async_cleanup, run};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let settings = Settings::from_env()?;
    run(&settings, async_cleanup::app(&settings)).await
}
