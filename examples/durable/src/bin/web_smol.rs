//! Run with: cargo run -p background-tasks-example-durable --bin durable_web_smol
//!
//! `durable_web` on smol: the same routes, settings and storages, served by
//! `background_tasks_server` from smol's listener, the jobs pushed by a pusher on smol's executor.
//! The worker is a process of its own and need not share the runtime: run `durable_worker` (tokio)
//! beside it, then
//! `curl -X POST http://127.0.0.1:8000/send-notification/ada@example.com && cat log.txt`.
//!
//! Settings as `durable_web`. Ctrl-C or SIGTERM: a graceful shutdown that pushes every job a
//! response promised.

use background_tasks_example_durable::{DurableSettings, Store, web};

fn main() -> std::process::ExitCode {
    match smol::block_on(run()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("durable_web_smol: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let settings = DurableSettings::from_env()?;
    // No tokio runtime is current here: sqlx and redis use their async-io flavour.
    let store = Store::connect(&settings.database_url).await?;
    web::serve_smol(&settings, &store).await?;
    Ok(())
}
