//! FastAPI's three BackgroundTasks examples, ported to poem.
//!
//! Each module is one example of FastAPI's "Background Tasks" page, with the same route, the same
//! response and the same lines appended to `log.txt` as the axum, actix-web, smol and async-std
//! ports; each has a binary that serves it:
//!
//! | FastAPI example | module | run with |
//! |---|---|---|
//! | Schedule a task in a path operation | [`send_notification`] | `cargo run -p background-tasks-example-poem --bin poem_send_notification` |
//! | Schedule tasks within dependencies | [`dependency`] | `cargo run -p background-tasks-example-poem --bin poem_dependency` |
//! | Using async functions | [`async_cleanup`] | `cargo run -p background-tasks-example-poem --bin poem_async_cleanup` |
//!
//! Then, from another terminal:
//!
//! ```text
//! curl -X POST http://127.0.0.1:8000/send-notification/ada@example.com
//! cat log.txt
//! ```
//!
//! The wiring is the same in all three: `BackgroundTasksMiddleware` gives every request a queue,
//! [`BackgroundTasks`](background_tasks::BackgroundTasks) is the handler's extractor (FastAPI's
//! `background_tasks: BackgroundTasks` parameter), and the tasks run, in order, once the response
//! has been sent, on tokio (poem's runtime): sync functions (`write_notification`, `write_log`) on
//! its blocking pool, the async one (`async_cleanup`) on its workers. Ctrl-C or `SIGTERM` stops
//! the server gracefully (poem lets its connections finish), then [`run`] drains the tasks.
//!
//! [`Settings`] come from the environment: `EXAMPLE_ADDR` (default `127.0.0.1:8000`),
//! `EXAMPLE_LOG_FILE` (default `log.txt`), `EXAMPLE_CLEANUP_MS` (default 5000),
//! `EXAMPLE_STATUS_PREFIX` (where the status page is, default `/_tasks/`). poem's server has
//! no header-read timeout, so `EXAMPLE_HEADER_READ_TIMEOUT_MS` does not apply here.
//!
//! # Examples
//!
//! What each binary's `main` does:
//!
//! ```no_run
//! use background_tasks_example_poem::{Settings, run, send_notification};
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     let settings = Settings::from_env()?;
//!     run(&settings, send_notification::app(&settings)).await
//! }
//! ```

pub mod async_cleanup;
pub mod dependency;
pub mod send_notification;

use std::future::Future;
use std::io;
use std::net::TcpListener;

pub use background_tasks_example_support::SHUTDOWN_DEADLINE;
use background_tasks_example_support::status_page;
use background_tasks_poem::BackgroundTasksMiddleware;
use background_tasks_tokio::TokioExecutor;
use poem::error::MethodNotAllowedError;
use poem::http::StatusCode;
use poem::listener::TcpAcceptor;
use poem::{Endpoint, EndpointExt, IntoResponse, Response, Route, Server};

/// The examples' settings, which each binary reads with [`Settings::from_env`]; by default:
///
/// ```
/// use std::time::Duration;
/// use background_tasks_example_poem::Settings;
///
/// let settings = Settings::default();
/// assert_eq!(settings.addr.to_string(), "127.0.0.1:8000");
/// assert_eq!(settings.log_file.to_str(), Some("log.txt"));
/// assert_eq!(settings.cleanup_delay, Duration::from_secs(5));
/// ```
pub use background_tasks_example_support::Settings;

/// Binds `settings.addr`, prints the address it listens on (useful with port 0), and serves `app`
/// behind a `BackgroundTasksMiddleware` on tokio, with the status page at
/// `settings.status_prefix`, until Ctrl-C or `SIGTERM`; then the page's live streams end, poem
/// stops accepting and lets its connections finish, and the background tasks are drained for up
/// to [`SHUTDOWN_DEADLINE`]. Call inside a tokio runtime.
///
/// # Errors
///
/// When the address cannot be bound, or the server fails.
pub async fn run<E: Endpoint + 'static>(settings: &Settings, app: E) -> io::Result<()> {
    let listener = TcpListener::bind(settings.addr)?;
    let addr = listener.local_addr()?;
    println!("listening on http://{addr} (Ctrl-C stops)");
    println!("status page: http://{addr}{}", settings.status_prefix);
    let middleware = BackgroundTasksMiddleware::new(TokioExecutor::new());
    let runner = middleware.runner().clone();
    let server = serve_until(settings, listener, app, middleware, shutdown_signal());
    let report = background_tasks_poem::run(server, &runner, SHUTDOWN_DEADLINE).await?;
    println!(
        "{}",
        background_tasks_example_support::shutdown_summary(&report)
    );
    Ok(())
}

/// The server [`run`] runs: `app` behind `middleware` on `listener`, the status page at
/// `settings.status_prefix` beside it, until `signal`; then the page's live streams end (poem
/// would wait for an open page's) and poem shuts down gracefully (its connections finish their
/// responses). Call inside a tokio runtime.
///
/// # Errors
///
/// When poem cannot take the listener, or the server fails.
pub async fn serve_until<E: Endpoint + 'static>(
    settings: &Settings,
    listener: TcpListener,
    app: E,
    middleware: BackgroundTasksMiddleware<TokioExecutor>,
    signal: impl Future<Output = ()>,
) -> io::Result<()> {
    listener.set_nonblocking(true)?;
    let acceptor = TcpAcceptor::from_std(listener)?;
    let page = status_page(middleware.runner());
    let app = Route::new()
        .nest(
            settings.status_prefix.trim_end_matches('/'),
            page.poem_endpoint(),
        )
        .nest("/", app.with(middleware));
    let signal = async move {
        signal.await;
        page.end_streams();
    };
    Server::new_with_acceptor(acceptor)
        .run_with_graceful_shutdown(app, signal, None)
        .await
}

/// Ctrl-C, or `SIGTERM` (how a container or a service manager stops a process).
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut terminate) => {
                terminate.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

/// A `200 OK` with a JSON body written by hand, as FastAPI returns a dict.
fn json(body: &'static str) -> Response {
    body.with_content_type("application/json").into_response()
}

/// Answers a wrong method on the examples' `POST` routes as FastAPI does: `405`,
/// `{"detail":"Method Not Allowed"}`, `Allow: POST` (poem's own answer is a plain-text body).
fn method_not_allowed<E: Endpoint + 'static>(route: E) -> impl Endpoint + 'static {
    route.catch_error(|_: MethodNotAllowedError| async {
        r#"{"detail":"Method Not Allowed"}"#
            .with_status(StatusCode::METHOD_NOT_ALLOWED)
            .with_content_type("application/json")
            .with_header("allow", "POST")
            .into_response()
    })
}
