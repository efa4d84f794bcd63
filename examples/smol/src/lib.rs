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
//! The handlers and the server are written once, for any runtime, in
//! `background-tasks-example-support`, which the async-std example shares; this crate is the smol
//! shell around them: [`Smol`], its executor, listener, timer and async file I/O.
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
//! use background_tasks_example_smol::{run_from_env, send_notification};
//!
//! fn main() -> std::io::Result<()> {
//!     run_from_env(send_notification::service)
//! }
//! ```
//!
//! which is, spelled out:
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

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use background_tasks::Runner;
use background_tasks_example_support::Runtime;
pub use background_tasks_example_support::SHUTDOWN_DEADLINE;
use background_tasks_example_support::serve as shared;
pub use background_tasks_example_support::serve::{Servable, with_status_page};
use background_tasks_smol::SmolExecutor;
use background_tasks_tower::BackgroundTasksLayer;
use smol::io::AsyncWriteExt;
use smol::net::{TcpListener, TcpStream};
use smol::stream::Stream;

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

/// smol, as the shared server, test server and cleanup use it.
#[derive(Debug)]
pub enum Smol {}

impl Runtime for Smol {
    const NAME: &'static str = "smol";
    type Executor = SmolExecutor;
    type Listener = TcpListener;
    type Connection = TcpStream;

    fn executor() -> SmolExecutor {
        SmolExecutor::new()
    }

    fn block_on<F: Future>(future: F) -> F::Output {
        smol::block_on(future)
    }

    async fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
        TcpListener::bind(addr).await
    }

    fn local_addr(listener: &TcpListener) -> io::Result<SocketAddr> {
        listener.local_addr()
    }

    fn incoming(listener: &TcpListener) -> impl Stream<Item = io::Result<TcpStream>> + Send + '_ {
        listener.incoming()
    }

    fn peer_addr(connection: &TcpStream) -> io::Result<SocketAddr> {
        connection.peer_addr()
    }

    async fn sleep(delay: Duration) {
        smol::Timer::after(delay).await;
    }

    async fn append(path: PathBuf, text: String) -> io::Result<()> {
        let mut log = smol::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .await?;
        log.write_all(text.as_bytes()).await?;
        // Async files write in the background: flush to know the line is in the file.
        log.flush().await
    }
}

/// Binds `settings.addr`, prints the address it listens on (useful with port 0), mounts the
/// status page at `settings.status_prefix` in front of `service` ([`with_status_page`]), and
/// serves until Ctrl-C (or SIGTERM); then shuts down gracefully: ends the page's live streams,
/// stops accepting, lets responses finish, and drains the background tasks with `runner` (the
/// layer's), for up to [`SHUTDOWN_DEADLINE`].
///
/// # Errors
///
/// When the address cannot be bound, the signals cannot be listened to, or the listener fails.
pub async fn run<S: Servable>(
    settings: &Settings,
    service: S,
    runner: Runner<SmolExecutor>,
) -> io::Result<()> {
    shared::run::<Smol, S>(settings, service, runner).await
}

/// A binary's `main`: the settings from the environment, a layer on smol's executor, the service
/// `service` builds with them, [`run`] until Ctrl-C or SIGTERM.
///
/// # Errors
///
/// As [`Settings::from_env`] and [`run`].
pub fn run_from_env<S: Servable>(
    service: impl FnOnce(&Settings, BackgroundTasksLayer<SmolExecutor>) -> S,
) -> io::Result<()> {
    shared::run_from_env::<Smol, S>(service)
}

/// Serves `service` on `listener` with `background_tasks_server::serve` (HTTP/1.1 and HTTP/2 on
/// hyper, with `settings.header_read_timeout`), each connection a task on smol's global executor.
///
/// # Errors
///
/// When the listener fails.
pub async fn serve<S: Servable>(
    settings: &Settings,
    listener: TcpListener,
    service: S,
) -> io::Result<()> {
    shared::serve::<Smol, S>(settings, listener, service).await
}
