//! FastAPI's three BackgroundTasks examples, ported to axum on tokio.
//!
//! Each module is one example of FastAPI's "Background Tasks" page, with the same route, the same
//! response and the same lines appended to `log.txt`; each has a binary that serves it:
//!
//! | FastAPI example | module | run with |
//! |---|---|---|
//! | Schedule a task in a path operation | [`send_notification`] | `cargo run -p background-tasks-example-axum --bin axum_send_notification` |
//! | Schedule tasks within dependencies | [`dependency`] | `cargo run -p background-tasks-example-axum --bin axum_dependency` |
//! | Using async functions | [`async_cleanup`] | `cargo run -p background-tasks-example-axum --bin axum_async_cleanup` |
//!
//! Then, from another terminal:
//!
//! ```text
//! curl -X POST http://127.0.0.1:8000/send-notification/ada@example.com
//! cat log.txt
//! ```
//!
//! The wiring is the same in all three: `BackgroundTasksLayer` gives every request a queue,
//! [`BackgroundTasks`](background_tasks::BackgroundTasks) is the handler's extractor (FastAPI's
//! `background_tasks: BackgroundTasks` parameter), and the tasks run, in order, once the response
//! has been sent. Sync functions (`write_notification`, `write_log`) run on tokio's blocking pool;
//! the async one (`async_cleanup`) is awaited on the runtime.
//!
//! [`Settings`] come from the environment: `EXAMPLE_ADDR` (default `127.0.0.1:8000`),
//! `EXAMPLE_LOG_FILE` (default `log.txt`), `EXAMPLE_CLEANUP_MS` (default 5000),
//! `EXAMPLE_STATUS_PREFIX` (default `/_tasks/`: where [`run`] mounts the live status page).
//!
//! # Examples
//!
//! What each binary's `main` does:
//!
//! ```no_run
//! use background_tasks_example_axum::{Settings, run, send_notification};
//! use background_tasks_tokio::TokioExecutor;
//! use background_tasks_tower::BackgroundTasksLayer;
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     let settings = Settings::from_env()?;
//!     let layer = BackgroundTasksLayer::new(TokioExecutor::new());
//!     let runner = layer.runner().clone();
//!     run(&settings, send_notification::app(&settings, layer), runner).await
//! }
//! ```

pub mod async_cleanup;
pub mod dependency;
pub mod send_notification;

use std::io;

use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use background_tasks::Runner;
pub use background_tasks_example_support::SHUTDOWN_DEADLINE;
use background_tasks_server::{self as server, TokioIncoming};
use background_tasks_status::StatusPage;
use background_tasks_tokio::TokioExecutor;
use tokio::net::TcpListener;

/// The examples' settings, which each binary reads with [`Settings::from_env`]; by default:
///
/// ```
/// use std::time::Duration;
/// use background_tasks_example_axum::Settings;
///
/// let settings = Settings::default();
/// assert_eq!(settings.addr.to_string(), "127.0.0.1:8000");
/// assert_eq!(settings.log_file.to_str(), Some("log.txt"));
/// assert_eq!(settings.cleanup_delay, Duration::from_secs(5));
/// ```
pub use background_tasks_example_support::Settings;

/// Binds `settings.addr`, prints the address it listens on (useful with port 0), mounts the
/// status page at `settings.status_prefix`, and serves `app` until Ctrl-C or SIGTERM (what a
/// deploy stops a process with); then shuts down gracefully: ends the page's live streams, stops
/// accepting, lets responses finish, and drains the background tasks with `runner` (the layer's),
/// for up to [`SHUTDOWN_DEADLINE`].
///
/// # Errors
///
/// When the address cannot be bound, the signal handlers cannot be installed, or the listener
/// fails.
pub async fn run(
    settings: &Settings,
    app: Router,
    runner: Runner<TokioExecutor>,
) -> io::Result<()> {
    let (app, page, runner) = with_status_page(settings, app, runner);
    let listener = TcpListener::bind(settings.addr).await?;
    let addr = listener.local_addr()?;
    println!("listening on http://{addr} (Ctrl-C stops)");
    println!("status page: http://{addr}{}", settings.status_prefix);
    let stop = server::shutdown_signal()?;
    serve_until(settings, listener, app, async {
        stop.await;
        page.end_streams();
    })
    .await?;
    let report = runner.shutdown(SHUTDOWN_DEADLINE).await;
    println!(
        "{}",
        background_tasks_example_support::shutdown_summary(&report)
    );
    Ok(())
}

/// Mounts `runner`'s status page at `settings.status_prefix` on `app`, giving the runner an
/// observer if it has none yet. The runner's clones share it, so the layer that made `runner`
/// records its queues from now on. The page's own requests do not go through the layer: it is
/// nested after the layer was added.
pub fn with_status_page(
    settings: &Settings,
    app: Router,
    runner: Runner<TokioExecutor>,
) -> (Router, StatusPage, Runner<TokioExecutor>) {
    // Access is the page's default: read-only for loopback peers (`serve_until` hands the page
    // each connection's peer address), `403` for everyone else.
    let page = background_tasks_example_support::status_page(&runner);
    let prefix = settings.status_prefix.trim_end_matches('/');
    let app = app.nest_service(prefix, page.service());
    (app, page, runner)
}

/// Serves `app` on `listener` until the listener fails, as [`serve_until`] does.
///
/// # Errors
///
/// When the listener fails.
pub async fn serve(settings: &Settings, listener: TcpListener, app: Router) -> io::Result<()> {
    serve_until(settings, listener, app, std::future::pending()).await
}

/// Serves `app` on `listener` the way production should, until `signal` resolves; then stops
/// accepting and waits for every connection to finish its response (graceful shutdown).
///
/// `axum::serve` is the quick way, but it sets no header-read timeout: a client that never
/// finishes its request headers holds its connection (and a file descriptor) forever. This is
/// `background_tasks_server::serve` on tokio: HTTP/1.1 and HTTP/2, with the header-read timeout
/// (`settings.header_read_timeout`, 30 s by default) counted from the accept.
///
/// # Errors
///
/// When the listener fails.
pub async fn serve_until(
    settings: &Settings,
    listener: TcpListener,
    app: Router,
    signal: impl Future<Output = ()>,
) -> io::Result<()> {
    server::serve(TokioIncoming::new(listener), app, TokioExecutor::new())
        .header_read_timeout(settings.header_read_timeout)
        .peer_addr(TokioIncoming::peer_addr)
        .with_graceful_shutdown(signal)
        .await
}

/// A `200 OK` with a JSON body written by hand, as FastAPI returns a dict.
fn json(body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}
