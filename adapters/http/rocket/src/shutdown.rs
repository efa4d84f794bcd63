//! [`run`]: launch Rocket until it shuts down, then drain the background tasks.

use std::time::Duration;

use background_tasks::{Executor, Runner, ShutdownReport};
use rocket::{Phase, Rocket};

/// Launches `rocket` until it shuts down, then lets `runner`'s queues finish for up to
/// `deadline`, and reports what the deadline cut off.
///
/// Rocket shuts down on Ctrl-C and `SIGTERM` (its `shutdown` configuration) or on
/// [`Shutdown::notify`](rocket::Shutdown::notify): it stops accepting, lets its connections
/// finish their responses for its grace and mercy periods, and only then returns from
/// `launch`. Every response has then ended, so every queue has been handed to `runner`; this waits
/// for them, and refuses new work, as [`Runner::shutdown`] does.
///
/// # Errors
///
/// Rocket's own error, if it could not launch or failed; the tasks are drained all the same.
///
/// # Examples
///
/// ```no_run
/// use std::time::Duration;
///
/// use background_tasks_rocket::BackgroundTasksFairing;
/// use background_tasks_tokio::TokioExecutor;
///
/// #[rocket::main]
/// async fn main() -> Result<(), rocket::Error> {
///     let fairing = BackgroundTasksFairing::new(TokioExecutor::new());
///     let runner = fairing.runner().clone();
///     let rocket = rocket::build().attach(fairing);
///     let report = background_tasks_rocket::run(rocket, &runner, Duration::from_secs(30)).await?;
///     println!("{report:?}");
///     Ok(())
/// }
/// ```
pub async fn run<P: Phase, E: Executor + Clone>(
    rocket: Rocket<P>,
    runner: &Runner<E>,
    deadline: Duration,
) -> Result<ShutdownReport, rocket::Error> {
    let launched = rocket.launch().await;
    let report = runner.shutdown(deadline).await;
    launched.map(|_| report)
}
