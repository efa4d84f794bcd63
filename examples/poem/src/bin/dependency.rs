//! Run with: cargo run -p background-tasks-example-poem --bin poem_dependency
//!
//! FastAPI's second example: a dependency (an extractor) adds a task too.
//! Then: `curl -X POST 'http://127.0.0.1:8000/send-notification/ada@example.com?q=rust' && cat log.txt`
//!
//! Settings: `EXAMPLE_ADDR` (default 127.0.0.1:8000), `EXAMPLE_LOG_FILE` (default log.txt),
//! `EXAMPLE_CLEANUP_MS` (default 5000).
//! Ctrl-C or SIGTERM stops the server, then waits for the queued tasks.

use background_tasks_example_poem::{Settings, dependency, run};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let settings = Settings::from_env()?;
    run(&settings, dependency::app(&settings)).await
}
