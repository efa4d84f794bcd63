//! Run with: cargo run -p background-tasks-example-durable --bin durable_web
//!
//! FastAPI's first example with `write_notification` as a durable job. Start a worker too
//! (`--bin durable_worker`), then:
//! `curl -X POST http://127.0.0.1:8000/send-notification/ada@example.com && cat log.txt`
//!
//! Settings: `DURABLE_DATABASE_URL` (default `sqlite://jobs.db?mode=rwc`; or `postgres://…`,
//! `redis://…`), `EXAMPLE_ADDR` (default 127.0.0.1:8000). Ctrl-C or SIGTERM: a graceful shutdown
//! that pushes every job a response promised.

use background_tasks_example_durable::{DurableSettings, Store, web};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("durable_web: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let settings = DurableSettings::from_env()?;
    let store = Store::connect(&settings.database_url).await?;
    web::serve(&settings, &store).await?;
    Ok(())
}
