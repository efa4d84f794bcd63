//! FastAPI's three BackgroundTasks examples, ported to actix-web.
//!
//! Each module is one example of FastAPI's "Background Tasks" page, with the same route, the same
//! response and the same lines appended to `log.txt` as the axum, smol and async-std ports; each
//! has a binary that serves it:
//!
//! | FastAPI example | module | run with |
//! |---|---|---|
//! | Schedule a task in a path operation | [`send_notification`] | `cargo run -p background-tasks-example-actix --bin actix_send_notification` |
//! | Schedule tasks within dependencies | [`dependency`] | `cargo run -p background-tasks-example-actix --bin actix_dependency` |
//! | Using async functions | [`async_cleanup`] | `cargo run -p background-tasks-example-actix --bin actix_async_cleanup` |
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
//! has been sent.
//!
//! actix-web runs each worker on a single-threaded runtime of its own, stopped with the worker; a
//! queue may outlive the worker that served its request. So the tasks run on a tokio runtime the
//! binary owns (`TokioExecutor::from_handle`), and after the server stops (Ctrl-C: actix-web lets
//! its workers finish their responses) [`run`] drains them. Sync functions (`write_notification`,
//! `write_log`) run on that runtime's blocking pool; the async one (`async_cleanup`) on its
//! workers.
//!
//! [`Settings`] come from the environment: `EXAMPLE_ADDR` (default `127.0.0.1:8000`),
//! `EXAMPLE_LOG_FILE` (default `log.txt`), `EXAMPLE_CLEANUP_MS` (default 5000),
//! `EXAMPLE_HEADER_READ_TIMEOUT_MS` (default 30000, actix-web's `client_request_timeout`).
//!
//! # Examples
//!
//! What each binary's `main` does:
//!
//! ```no_run
//! use background_tasks_actix::BackgroundTasksMiddleware;
//! use background_tasks_example_actix::{Settings, run, send_notification};
//! use background_tasks_tokio::TokioExecutor;
//!
//! fn main() -> std::io::Result<()> {
//!     let settings = Settings::from_env()?;
//!     let tasks_runtime = tokio::runtime::Runtime::new()?;
//!     let middleware =
//!         BackgroundTasksMiddleware::new(TokioExecutor::from_handle(tasks_runtime.handle().clone()));
//!     run(&settings, send_notification::routes(&settings), middleware)
//! }
//! ```

pub mod async_cleanup;
pub mod dependency;
pub mod send_notification;

use std::io;
use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::web::{self, ServiceConfig};
use actix_web::{App, HttpResponse, HttpServer, Resource, Route};
use background_tasks_actix::BackgroundTasksMiddleware;
pub use background_tasks_example_support::SHUTDOWN_DEADLINE;
use background_tasks_example_support::status_page;
use background_tasks_status::StatusPage;
use background_tasks_tokio::TokioExecutor;

/// The examples' settings, which each binary reads with [`Settings::from_env`]; by default:
///
/// ```
/// use std::time::Duration;
/// use background_tasks_example_actix::Settings;
///
/// let settings = Settings::default();
/// assert_eq!(settings.addr.to_string(), "127.0.0.1:8000");
/// assert_eq!(settings.log_file.to_str(), Some("log.txt"));
/// assert_eq!(settings.cleanup_delay, Duration::from_secs(5));
/// ```
pub use background_tasks_example_support::Settings;

/// Binds `settings.addr`, prints the address it listens on (useful with port 0), and serves
/// `routes` behind `middleware`, with the status page at `settings.status_prefix`, until Ctrl-C
/// (or `SIGTERM`); then the page's live streams end, actix-web stops accepting and lets its
/// workers finish their responses, and the background tasks are drained with the middleware's
/// runner, for up to [`SHUTDOWN_DEADLINE`].
///
/// # Errors
///
/// When the address cannot be bound, or the server fails.
pub fn run<R>(
    settings: &Settings,
    routes: R,
    middleware: BackgroundTasksMiddleware<TokioExecutor>,
) -> io::Result<()>
where
    R: Fn(&mut ServiceConfig) + Clone + Send + 'static,
{
    let listener = TcpListener::bind(settings.addr)?;
    let addr = listener.local_addr()?;
    println!("listening on http://{addr} (Ctrl-C stops)");
    println!("status page: http://{addr}{}", settings.status_prefix);
    let runner = middleware.runner().clone();
    let page = status_page(middleware.runner());
    actix_web::rt::System::new().block_on(async move {
        let server = serve_with_page(settings, listener, routes, middleware, page.clone())?;
        // actix-web stops on the same signal, then waits for open connections: the page's
        // streams would hold it up to its shutdown timeout.
        actix_web::rt::spawn(async move {
            if actix_web::rt::signal::ctrl_c().await.is_ok() {
                page.end_streams();
            }
        });
        let report = background_tasks_actix::run(server, &runner, SHUTDOWN_DEADLINE).await?;
        println!(
            "{}",
            background_tasks_example_support::shutdown_summary(&report)
        );
        Ok(())
    })
}

/// The server [`run`] runs: `routes` behind `middleware` on `listener`, with
/// `settings.header_read_timeout` as actix-web's `client_request_timeout` (a client that never
/// finishes its request headers is answered `408` and cut), and the status page at
/// `settings.status_prefix`. Call inside an actix `System`.
///
/// # Errors
///
/// When actix-web cannot take the listener.
pub fn serve<R>(
    settings: &Settings,
    listener: TcpListener,
    routes: R,
    middleware: BackgroundTasksMiddleware<TokioExecutor>,
) -> io::Result<Server>
where
    R: Fn(&mut ServiceConfig) + Clone + Send + 'static,
{
    let page = status_page(middleware.runner());
    serve_with_page(settings, listener, routes, middleware, page)
}

fn serve_with_page<R>(
    settings: &Settings,
    listener: TcpListener,
    routes: R,
    middleware: BackgroundTasksMiddleware<TokioExecutor>,
    page: StatusPage,
) -> io::Result<Server>
where
    R: Fn(&mut ServiceConfig) + Clone + Send + 'static,
{
    let prefix = settings.status_prefix.clone();
    Ok(HttpServer::new(move || {
        App::new()
            .service(page.actix_scope(&prefix))
            .wrap(middleware.clone())
            .configure(routes.clone())
    })
    .client_request_timeout(settings.header_read_timeout)
    .listen(listener)?
    .run())
}

/// A `200 OK` with a JSON body written by hand, as FastAPI returns a dict.
fn json(body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(body)
}

/// `path` answering `route` (a `POST`), and any other method as FastAPI does: `405 Method Not
/// Allowed`, `{"detail":"Method Not Allowed"}`, `Allow: POST` (actix-web's own answer would be a
/// `404`).
fn post_only(path: &str, route: Route) -> Resource {
    web::resource(path)
        .route(route)
        .default_service(web::to(|| async {
            HttpResponse::MethodNotAllowed()
                .insert_header(("allow", "POST"))
                .content_type("application/json")
                .body(r#"{"detail":"Method Not Allowed"}"#)
        }))
}
