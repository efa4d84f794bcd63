//! [`shutdown_signal`]: what a deployed server stops on.

use std::future::Future;
use std::io;

use async_signal::{Signal, Signals};
use futures_core::Stream;

/// Resolves at the first Ctrl-C (`SIGINT`) or `SIGTERM`, the signal a deploy (systemd, Docker,
/// Kubernetes) stops a process with: hand it to
/// [`Serve::with_graceful_shutdown`](crate::Serve::with_graceful_shutdown), then drain the tasks
/// with `Runner::shutdown`. It runs on any runtime.
///
/// The handlers are installed when this is called, not when the future is first polled, so a
/// signal that arrives while the server starts is not missed; while they are installed, neither
/// signal ends the process by itself.
///
/// # Errors
///
/// When the signal handlers cannot be installed.
///
/// # Examples
///
/// ```no_run
/// # async fn run() -> std::io::Result<()> {
/// let stop = background_tasks_server::shutdown_signal()?;
/// stop.await; // Ctrl-C or SIGTERM
/// # Ok(())
/// # }
/// ```
pub fn shutdown_signal() -> io::Result<impl Future<Output = ()> + Send + 'static> {
    #[cfg(unix)]
    let mut signals = Signals::new([Signal::Int, Signal::Term])?;
    #[cfg(not(unix))]
    let mut signals = Signals::new([Signal::Int])?;
    Ok(std::future::poll_fn(move |cx| {
        std::pin::Pin::new(&mut signals).poll_next(cx).map(|_| ())
    }))
}
