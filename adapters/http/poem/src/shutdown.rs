//! [`run`]: serve until poem's server stops, then drain the background tasks.

use std::future::Future;
use std::io;
use std::time::Duration;

use background_tasks::{Executor, Runner, ShutdownReport};

/// Runs `server` until it stops, then lets `runner`'s queues finish for up to `deadline`, and
/// reports what the deadline cut off.
///
/// `server` is poem's `Server::run_with_graceful_shutdown(app, signal, timeout)`: once `signal`
/// resolves, poem stops accepting and waits for its connections to close (each finishing the
/// response it is sending), so every queue has been handed to `runner` when it returns. This then
/// waits for them, and refuses new work, as [`Runner::shutdown`] does.
///
/// # Errors
///
/// The server's own error, if it failed; the tasks are drained all the same.
///
/// # Examples
///
/// ```no_run
/// use std::time::Duration;
///
/// use background_tasks_poem::BackgroundTasksMiddleware;
/// use background_tasks_tokio::TokioExecutor;
/// use poem::listener::TcpListener;
/// use poem::{EndpointExt, Route, Server};
///
/// #[tokio::main]
/// async fn main() -> std::io::Result<()> {
///     let middleware = BackgroundTasksMiddleware::new(TokioExecutor::new());
///     let runner = middleware.runner().clone();
///     let app = Route::new().with(middleware);
///     let ctrl_c = async {
///         let _ = tokio::signal::ctrl_c().await;
///     };
///     let server = Server::new(TcpListener::bind("127.0.0.1:8000"))
///         .run_with_graceful_shutdown(app, ctrl_c, None);
///     let report = background_tasks_poem::run(server, &runner, Duration::from_secs(30)).await?;
///     println!("{report:?}");
///     Ok(())
/// }
/// ```
pub async fn run<E: Executor + Clone>(
    server: impl Future<Output = io::Result<()>>,
    runner: &Runner<E>,
    deadline: Duration,
) -> io::Result<ShutdownReport> {
    let served = server.await;
    let report = runner.shutdown(deadline).await;
    served.map(|()| report)
}
