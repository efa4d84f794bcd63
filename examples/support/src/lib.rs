//! The plumbing the BackgroundTasks examples share, so that each example crate (axum, smol,
//! async-std) keeps only what is its own: its router or its runtime's calls.
//!
//! - [`send_notification`], [`dependency`], [`async_cleanup`]: FastAPI's three examples as hyper
//!   services, written once for any executor (the cleanup's timer and async file I/O through
//!   [`Runtime`]); the smol and async-std examples serve them on their runtime.
//! - [`Runtime`] and, with the `serve` feature, `serve`: the hyper examples' server, status page
//!   and shutdown written once, for any runtime; the smol and async-std crates only implement
//!   [`Runtime`].
//! - [`Settings`]: where the examples listen, where their tasks log, how long the cleanup sleeps,
//!   read from the environment.
//! - [`routing`]: routing by hand for the hyper-based examples (smol, async-std), which have no
//!   router: path and query parameters, JSON responses, the [`Rejection`](routing::Rejection)
//!   FastAPI would answer with, and [`post_service`](routing::post_service).
//! - `client` (with the `client` feature, for the examples' tests): a test server with a
//!   temporary log file, which hands out the conformance suite's HTTP client, and its responses
//!   read as text; `checks`, the FastAPI examples' behaviour checked once for every runtime.
//! - [`SHUTDOWN_DEADLINE`] and [`shutdown_summary`]: how the examples end on Ctrl-C.
//! - `status_page` (with the `status` feature): the status page every example mounts.

pub mod async_cleanup;
pub mod dependency;
pub mod routing;
mod runtime;
pub mod send_notification;
#[cfg(feature = "serve")]
pub mod serve;
mod settings;
#[cfg(feature = "status")]
mod status;

#[cfg(feature = "client")]
pub mod checks;
#[cfg(feature = "client")]
pub mod client;

pub use runtime::Runtime;
pub use settings::Settings;
#[cfg(feature = "status")]
pub use status::status_page;

use std::borrow::Cow;

use std::time::Duration;

use background_tasks::ShutdownReport;

/// `text` with its control characters escaped (`\n` as `\\n`, NUL as `\\0`), for a log line made
/// of what a client sent: `POST /send-notification/a%0Ab@x` must not write a second, forged line.
/// Text without control characters comes back borrowed, unchanged.
///
/// # Examples
///
/// ```
/// use background_tasks_example_support::escape_controls;
///
/// assert_eq!(escape_controls("ada@example.com"), "ada@example.com");
/// assert_eq!(escape_controls("a\nb\0@x"), "a\\nb\\0@x");
/// ```
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            escaped.extend(c.escape_debug());
        } else {
            escaped.push(c);
        }
    }
    Cow::Owned(escaped)
}

/// How long the examples' graceful shutdown lets queued background tasks finish.
pub const SHUTDOWN_DEADLINE: Duration = Duration::from_secs(30);

/// One line saying what a graceful shutdown did with the background tasks.
///
/// # Examples
///
/// ```
/// # use background_tasks::{BackgroundTasks, BlockingError, BlockingJob, BoxFuture, Executor, Runner};
/// # #[derive(Debug, Clone)] struct Inline;
/// # impl Executor for Inline {
/// #     fn spawn(&self, _: BoxFuture<()>) {}
/// #     fn spawn_blocking(&self, job: BlockingJob) -> BoxFuture<Result<(), BlockingError>> { job(); Box::pin(async { Ok(()) }) }
/// # }
/// # let runner = Runner::new(Inline);
/// # let mut shutdown = std::pin::pin!(runner.shutdown(std::time::Duration::ZERO));
/// # let report = loop {
/// #     if let std::task::Poll::Ready(r) = shutdown.as_mut().poll(&mut std::task::Context::from_waker(std::task::Waker::noop())) { break r; }
/// # };
/// let line = background_tasks_example_support::shutdown_summary(&report);
/// assert!(line.starts_with("background tasks drained"));
/// ```
pub fn shutdown_summary(report: &ShutdownReport) -> String {
    let metrics = &report.metrics;
    let mut line = format!(
        "background tasks {}: {} queued, {} succeeded, {} failed, {} panicked, {} skipped, {} timed out, {} discarded, {} abandoned",
        if report.is_complete() {
            "drained"
        } else {
            "cut off by the shutdown deadline"
        },
        metrics.queued,
        metrics.succeeded,
        metrics.failed,
        metrics.panicked,
        metrics.skipped,
        metrics.timed_out,
        metrics.discarded,
        metrics.abandoned,
    );
    if report.still_running > 0 {
        line += &format!(
            "; {} still running (sync tasks cannot be stopped)",
            report.still_running
        );
    }
    line
}
