//! FastAPI's three BackgroundTasks examples, ported to hyper over smol.
//!
//! Each module is one example of FastAPI's "Background Tasks" page, with the same route, the same
//! JSON response and the same lines appended to `log.txt`; each has a binary that serves it:
//!
//! | FastAPI example | module | run with |
//! |---|---|---|
//! | Schedule a task in a path operation | [`send_notification`] | `cargo run -p background-tasks-example-smol --bin smol_send_notification` |
//! | Schedule tasks within dependencies | [`dependency`] | `cargo run -p background-tasks-example-smol --bin smol_dependency` |
//! | Using async functions | [`async_cleanup`] | `cargo run -p background-tasks-example-smol --bin smol_async_cleanup` |
//!
//! Then, from another terminal:
//!
//! ```text
//! curl -X POST http://127.0.0.1:8000/send-notification/ada@example.com
//! cat log.txt
//! ```
//!
//! smol has no web framework of its own, so each example is a `tower::service_fn` that routes by
//! method and path by hand, wrapped in `BackgroundTasksLayer` and served by
//! `background_tasks_server::serve` (hyper, HTTP/1.1 and HTTP/2). While the handler runs, the
//! request's [`BackgroundTasks`](background_tasks::BackgroundTasks) queue is
//! `BackgroundTasks::current()`, for the handler and a "dependency" (just a function it calls). Sync
//! tasks run on smol's blocking pool, async ones on its executor, once the response has been sent.
//!
//! The handlers are written once, for any executor, in `background-tasks-example-support`, which
//! the async-std example shares; this crate is the smol shell around them: its executor, its timer
//! and async file I/O for the cleanup, its listener and its signals.
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
//! use background_tasks_example_smol::{Settings, run, send_notification};
//! use background_tasks_smol::SmolExecutor;
//! use background_tasks_tower::BackgroundTasksLayer;
//!
//! fn main() -> std::io::Result<()> {
//!     let settings = Settings::from_env()?;
//!     let layer = BackgroundTasksLayer::new(SmolExecutor::new());
//!     let runner = layer.runner().clone();
//!     smol::block_on(run(&settings, send_notification::service(&settings, layer), runner))
//! }
//! ```

pub mod async_cleanup;
pub mod dependency;
pub mod send_notification;

use std::io;

use async_signal::{Signal, Signals};
use background_tasks::status::Observer;
use background_tasks::{BoxError, Runner};
pub use background_tasks_example_support::SHUTDOWN_DEADLINE;
use background_tasks_server as server;
use background_tasks_smol::SmolExecutor;
use background_tasks_status::{Mounted, StatusPage};
use hyper::body::Incoming;
use hyper::{Request, Response};
use smol::net::TcpListener;
use smol::stream::StreamExt;
use tower::Service;

/// The examples' settings, which each binary reads with [`Settings::from_env`]; by default:
///
/// ```
/// use std::time::Duration;
/// use background_tasks_example_smol::Settings;
///
/// let settings = Settings::default();
/// assert_eq!(settings.addr.to_string(), "127.0.0.1:8000");
/// assert_eq!(settings.log_file.to_str(), Some("log.txt"));
/// assert_eq!(settings.cleanup_delay, Duration::from_secs(5));
/// ```
pub use background_tasks_example_support::Settings;
pub use background_tasks_example_support::routing::{Body, Rejection};

/// Binds `settings.addr`, prints the address it listens on (useful with port 0), mounts the
/// status page at `settings.status_prefix` in front of `service` ([`with_status_page`]), and
/// serves until Ctrl-C (or SIGTERM); then shuts down gracefully: ends the page's live streams,
/// stops accepting, lets responses finish, and drains the background tasks with `runner` (the
/// layer's), for up to [`SHUTDOWN_DEADLINE`].
///
/// # Errors
///
/// When the address cannot be bound, the signals cannot be listened to, or the listener fails.
pub async fn run<S, B>(
    settings: &Settings,
    service: S,
    runner: Runner<SmolExecutor>,
) -> io::Result<()>
where
    S: Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: hyper::body::Body<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let (service, page, runner) = with_status_page(settings, service, runner);
    let listener = TcpListener::bind(settings.addr).await?;
    let addr = listener.local_addr()?;
    println!("listening on http://{addr} (Ctrl-C stops)");
    println!("status page: http://{addr}{}", settings.status_prefix);
    let mut signals = Signals::new([Signal::Int, Signal::Term])?;
    server::serve(listener.incoming(), service, SmolExecutor::new())
        .header_read_timeout(settings.header_read_timeout)
        .with_graceful_shutdown(async move {
            let _ = signals.next().await;
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

/// Mounts `runner`'s status page at `settings.status_prefix` in front of `service`, giving the
/// runner an observer if it has none yet (the layer that made `runner` shares it).
///
/// Access is the page's default: read-only for loopback peers (`serve` hands the page each
/// connection's peer address), `403` for everyone else.
pub fn with_status_page<S>(
    settings: &Settings,
    service: S,
    runner: Runner<SmolExecutor>,
) -> (Mounted<S>, StatusPage, Runner<SmolExecutor>) {
    let runner = match runner.observer() {
        Some(_) => runner,
        None => runner.observe(Observer::default()),
    };
    let page = StatusPage::new(&runner).expect("the runner was given an observer just above");
    (page.mount(&settings.status_prefix, service), page, runner)
}

/// Serves `service` on `listener` with `background_tasks_server::serve` (HTTP/1.1 and
/// HTTP/2 on hyper, with `settings.header_read_timeout`), each connection a task on smol's global executor.
///
/// # Errors
///
/// When the listener fails.
pub async fn serve<S, B>(settings: &Settings, listener: TcpListener, service: S) -> io::Result<()>
where
    S: Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    server::serve(listener.incoming(), service, SmolExecutor::new())
        .header_read_timeout(settings.header_read_timeout)
        .peer_addr(smol::net::TcpStream::peer_addr)
        .await
}
