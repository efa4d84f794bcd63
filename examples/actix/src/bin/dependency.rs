//! Run with: cargo run -p background-tasks-example-actix --bin actix_dependency
//!
//! FastAPI's second example: a dependency (an extractor) adds a task too.
//! Then: `curl -X POST 'http://127.0.0.1:8000/send-notification/ada@example.com?q=rust' && cat log.txt`
//!
//! Settings: `EXAMPLE_ADDR` (default 127.0.0.1:8000), `EXAMPLE_LOG_FILE` (default log.txt),
//! `EXAMPLE_CLEANUP_MS` (default 5000), `EXAMPLE_HEADER_READ_TIMEOUT_MS` (default 30000).
//! Ctrl-C stops the server, then waits for the queued tasks.

use background_tasks_actix::BackgroundTasksMiddleware;
use background_tasks_example_actix::{Settings, dependency, run};
use background_tasks_tokio::TokioExecutor;

fn main() -> std::io::Result<()> {
    let settings = Settings::from_env()?;
    // The tasks' runtime: the application's own, so that tasks outlive actix's workers.
    let tasks_runtime = tokio::runtime::Runtime::new()?;
    let middleware =
        BackgroundTasksMiddleware::new(TokioExecutor::from_handle(tasks_runtime.handle().clone()));
    run(&settings, dependency::routes(&settings), middleware)
}
