//! Run with: cargo run -p background-tasks-example-async-std --bin async_std_send_notification
//!
//! FastAPI's first example: a sync task queued by the handler.
//! Then: `curl -X POST http://127.0.0.1:8000/send-notification/ada@example.com && cat log.txt`
//!
//! async-std is discontinued by its authors: prefer `background-tasks-example-smol`.
//!
//! Settings: `EXAMPLE_ADDR` (default 127.0.0.1:8000), `EXAMPLE_LOG_FILE` (default log.txt),
//! `EXAMPLE_CLEANUP_MS` (default 5000).

use background_tasks_example_async_std::{run_from_env, send_notification};

fn main() -> std::io::Result<()> {
    run_from_env(send_notification::service)
}
