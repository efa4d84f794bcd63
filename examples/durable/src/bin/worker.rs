//! Run with: cargo run -p background-tasks-example-durable --bin durable_worker
//!
//! Runs the `write_notification` jobs that `durable_web` pushes, appending to `log.txt`
//! (`EXAMPLE_LOG_FILE`). Start as many as you like, on any machine that reaches the storage
//! (`DURABLE_DATABASE_URL`, default `sqlite://jobs.db?mode=rwc`); each needs its own
//! `DURABLE_WORKER_NAME` (default `notifier-{pid}`). See `DurableSettings` for the pickup and
//! heartbeat settings. Ctrl-C or SIGTERM lets the jobs in flight finish.

use background_tasks_example_durable::{DurableSettings, Store, worker};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("durable_worker: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    // apalis reports a storage error that ends a worker only as a warning: show it.
    tracing_subscriber::fmt()
        .with_max_level(tracing_subscriber::filter::LevelFilter::WARN)
        .with_writer(std::io::stderr)
        .init();
    let settings = DurableSettings::from_env()?;
    let store = Store::connect(&settings.database_url).await?;
    worker::run(&settings, &store).await
}
