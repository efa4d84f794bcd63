//! Run with: cargo run -p background-tasks-example-rocket --bin rocket_send_notification
//!
//! FastAPI's first example: a sync task queued by the handler.
//! Then: `curl -X POST http://127.0.0.1:8000/send-notification/ada@example.com && cat log.txt`
//!
//! Settings: `EXAMPLE_ADDR` (default 127.0.0.1:8000), `EXAMPLE_LOG_FILE` (default log.txt),
//! `EXAMPLE_CLEANUP_MS` (default 5000).
//! Ctrl-C or SIGTERM stops the server, then waits for the queued tasks.

use background_tasks_example_rocket::{Settings, run, send_notification};

#[rocket::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let settings = Settings::from_env()?;
    run(&settings, send_notification::routes()).await?;
    Ok(())
}
