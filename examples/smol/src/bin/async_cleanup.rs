//! Run with: cargo run -p background-tasks-example-smol --bin smol_async_cleanup
//!
//! FastAPI's third example: an async task that sleeps 5 s on smol's timer after the response.
//! Then: `curl -X POST http://127.0.0.1:8000/process/report.csv   # then, 5 s later: cat log.txt`
//!
//! Settings: `EXAMPLE_ADDR` (default 127.0.0.1:8000), `EXAMPLE_LOG_FILE` (default log.txt),
//! `EXAMPLE_CLEANUP_MS` (default 5000).

use background_tasks_example_smol::{async_cleanup, run_from_env};

fn main() -> std::io::Result<()> {
    run_from_env(async_cleanup::service)
}
