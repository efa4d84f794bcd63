//! [`run`]: serve until actix-web's server stops, then drain the background tasks.

use std::io;
use std::time::Duration;

use actix_web::dev::Server;
use background_tasks::{Executor, Runner, ShutdownReport};

/// Runs `server` until it stops, then lets `runner`'s queues finish for up to `deadline`, and
/// reports what the deadline cut off.
///
/// actix-web stops its server on Ctrl-C and `SIGTERM` (unless `disable_signals`), or on
/// [`ServerHandle::stop`](actix_web::dev::ServerHandle::stop): it stops accepting, lets each
/// worker finish its responses (up to its `shutdown_timeout`, 30 s by default), then stops the
/// workers and their runtimes. Every response has then ended, so every queue has been handed to
/// `runner`; this waits for them on `runner`'s executor, which must be one that outlives the
/// workers (`TokioExecutor::from_handle` of a runtime the application owns), then refuses new
/// work, as [`Runner::shutdown`] does.
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
/// use actix_web::{App, HttpServer};
/// use background_tasks_actix::BackgroundTasksMiddleware;
/// use background_tasks_tokio::TokioExecutor;
///
/// fn main() -> std::io::Result<()> {
///     // The tasks' runtime: owned by the application, so that it outlives actix's workers.
///     let tasks_runtime = tokio::runtime::Runtime::new()?;
///     let middleware =
///         BackgroundTasksMiddleware::new(TokioExecutor::from_handle(tasks_runtime.handle().clone()));
///     let runner = middleware.runner().clone();
///     actix_web::rt::System::new().block_on(async move {
///         let server = HttpServer::new(move || App::new().wrap(middleware.clone()))
///             .bind("127.0.0.1:8000")?
///             .run();
///         let report = background_tasks_actix::run(server, &runner, Duration::from_secs(30)).await?;
///         println!("{report:?}");
///         Ok(())
///     })
/// }
/// ```
pub async fn run<E: Executor + Clone>(
    server: Server,
    runner: &Runner<E>,
    deadline: Duration,
) -> io::Result<ShutdownReport> {
    let served = server.await;
    let report = runner.shutdown(deadline).await;
    served.map(|()| report)
}
