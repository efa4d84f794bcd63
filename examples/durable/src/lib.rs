//! FastAPI's first background-task example, with `write_notification` as a **durable job**: the
//! web server (`durable_web`) answers at once and, after the response, pushes a
//! [`WriteNotification`] job to a storage; a worker process (`durable_worker`, as many as you
//! like, on any machine that reaches the storage) runs it and appends to `log.txt`.
//!
//! ```python
//! def write_notification(email: str, message: str = ""):
//!     with open("log.txt", mode="a") as email_file:
//!         content = f"notification for {email}: {message}\n"
//!         email_file.write(content)
//!
//! @app.post("/send-notification/{email}")
//! async def send_notification(email: str, background_tasks: BackgroundTasks):
//!     background_tasks.add_task(write_notification, email, message="some notification")
//!     return {"message": "Notification sent in the background"}
//! ```
//!
//! The storage is SQLite in `jobs.db` next to the binaries unless `DURABLE_DATABASE_URL` says
//! `postgres://…` or `redis://…`. See [`DurableSettings`] for the rest.
//!
//! `durable_web_smol` is the same web server on smol ([`web::serve_smol`]); the worker, a process
//! of its own, stays on tokio, and the two work together on every storage
//! (`tests/smol_web.rs`).

pub mod settings;
pub mod store;
pub mod web;
pub mod worker;

use background_tasks_example_support::escape_controls;
use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

pub use settings::DurableSettings;
pub use store::Store;

/// The queue both binaries use, on every storage.
pub const QUEUE: &str = "write_notification";

/// The job: FastAPI's `write_notification(email, message)` call, as data a worker can run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteNotification {
    /// Who is notified.
    pub email: String,
    /// What they are told.
    pub message: String,
}

/// Appends `notification for {email}: {message}` to `log_file`, in one `write` so that lines
/// written by several worker processes never interleave.
///
/// # Errors
///
/// When the file cannot be opened or written: the job fails and apalis retries it.
pub fn write_notification(log_file: &Path, email: &str, message: &str) -> io::Result<()> {
    let mut email_file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_file)?;
    let content = format!(
        "notification for {}: {}\n",
        escape_controls(email),
        escape_controls(message)
    );
    email_file.write_all(content.as_bytes())
}

/// Resolves on Ctrl-C or SIGTERM: what both binaries shut down gracefully on.
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("install a SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
