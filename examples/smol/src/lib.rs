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
//! `background_tasks_tower::server::serve` (hyper, HTTP/1.1). The layer puts the request's
//! [`BackgroundTasks`](background_tasks::BackgroundTasks) queue in its extensions; the handler
//! (and a "dependency", which is just a function given the request) takes it from there. Sync
//! tasks run on smol's blocking pool, async ones on its executor, once the response has been sent.
//!
//! [`Settings`] come from the environment: `EXAMPLE_ADDR` (default `127.0.0.1:8000`),
//! `EXAMPLE_LOG_FILE` (default `log.txt`), `EXAMPLE_CLEANUP_MS` (default 5000).
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
//!     smol::block_on(run(&settings, send_notification::service(&settings, layer)))
//! }
//! ```

pub mod async_cleanup;
pub mod dependency;
mod routing;
pub mod send_notification;
mod settings;

use std::io;

use background_tasks::BoxError;
use background_tasks_smol::SmolExecutor;
use background_tasks_tower::server;
use hyper::body::Incoming;
use hyper::{Request, Response};
use smol::net::TcpListener;
use tower::Service;

pub use routing::{Body, Rejection};
pub use settings::Settings;

/// Binds `settings.addr`, prints the address it listens on (useful with port 0), and serves
/// `service`.
///
/// # Errors
///
/// When the address cannot be bound, or the listener fails.
pub async fn run<S, B>(settings: &Settings, service: S) -> io::Result<()>
where
    S: Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let listener = TcpListener::bind(settings.addr).await?;
    println!("listening on http://{}", listener.local_addr()?);
    serve(listener, service).await
}

/// Serves `service` on `listener` with `background_tasks_tower::server::serve`: HTTP/1.1 on
/// hyper, each connection a task on smol's global executor.
///
/// # Errors
///
/// When the listener fails.
pub async fn serve<S, B>(listener: TcpListener, service: S) -> io::Result<()>
where
    S: Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    server::serve(listener.incoming(), service, SmolExecutor::new()).await
}
