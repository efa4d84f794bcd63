//! Run with: cargo run -p background-tasks-example-smol --bin smol_dependency
//!
//! FastAPI's second example: a dependency (a function given the request) and the handler share
//! the request's queue.
//! Then: `curl -X POST 'http://127.0.0.1:8000/send-notification/ada@example.com?q=rust'`
//! and `cat log.txt`.
//!
//! Settings: `EXAMPLE_ADDR` (default 127.0.0.1:8000), `EXAMPLE_LOG_FILE` (default log.txt),
//! `EXAMPLE_CLEANUP_MS` (default 5000).

use background_tasks_example_smol::{dependency, run_from_env};

fn main() -> std::io::Result<()> {
    run_from_env(dependency::service)
}
