//! Runs a request's background tasks after its response body has been sent: an actix-web
//! middleware.
//!
//! FastAPI lets an endpoint say "do this after you have answered": it takes a `BackgroundTasks`
//! parameter, adds work to it, and Starlette runs that work once the response is out. This crate
//! is that wiring for actix-web: [`BackgroundTasksMiddleware`] gives every request a fresh
//! [`BackgroundTasks`](background_tasks::BackgroundTasks) queue, `BackgroundTasks` is an extractor
//! that hands it to the handler, and when the response body has reached its end the queue is
//! handed to the [`Executor`](background_tasks::Executor) as a task of its own. It decides alike
//! with tower's `BackgroundTasksLayer` (`background-tasks-tower`): the same settings, the same
//! [`RequestReport`]s, the same conformance suite.
//!
//! # Examples
//!
//! FastAPI's first example:
//!
//! ```no_run
//! use std::time::Duration;
//!
//! use actix_web::{App, HttpServer, post, web};
//! use background_tasks::BackgroundTasks;
//! use background_tasks_actix::BackgroundTasksMiddleware;
//! use background_tasks_tokio::TokioExecutor;
//!
//! fn write_notification(email: &str, message: &str) {
//!     // Blocking I/O is fine: sync tasks run on the executor's blocking pool.
//!     println!("notification for {email}: {message}");
//! }
//!
//! #[post("/send-notification/{email}")]
//! async fn send_notification(email: web::Path<String>, tasks: BackgroundTasks) -> &'static str {
//!     let email = email.into_inner();
//!     tasks.add_task(move || write_notification(&email, "some notification"));
//!     "notification sent in the background"
//! }
//!
//! fn main() -> std::io::Result<()> {
//!     let tasks_runtime = tokio::runtime::Runtime::new()?;
//!     let middleware =
//!         BackgroundTasksMiddleware::new(TokioExecutor::from_handle(tasks_runtime.handle().clone()));
//!     let runner = middleware.runner().clone();
//!     actix_web::rt::System::new().block_on(async move {
//!         let server = HttpServer::new(move || {
//!             App::new().wrap(middleware.clone()).service(send_notification)
//!         })
//!         .bind("127.0.0.1:8000")?
//!         .run();
//!         // Until Ctrl-C; then the workers finish their responses and the tasks are drained.
//!         background_tasks_actix::run(server, &runner, Duration::from_secs(30)).await?;
//!         Ok(())
//!     })
//! }
//! ```
//!
//! # Where the tasks run: not on actix's workers
//!
//! actix-web runs each worker on a single-threaded runtime of its own, stopped with the worker,
//! and its handlers need not be `Send`. A queue outlives its request, and may outlive the worker
//! that served it (a graceful shutdown stops the workers as soon as their responses are sent), so
//! it must run on an executor that outlives them all: `TokioExecutor::from_handle` of a tokio
//! runtime the application owns, as above, or any other [`Executor`](background_tasks::Executor)
//! that is not a worker's. Tasks are `Send`, so they capture clones of what they need, never the
//! handler's `!Send` state. After the server stops, [`run`] drains the queues with
//! [`Runner::shutdown`](background_tasks::Runner::shutdown).
//!
//! # When the tasks start, and when they do not
//!
//! - **After the last byte is handed to the server.** The trigger is the response body, where
//!   actix-web's own `Logger` sees its end: `poll_next` returning `None`, or the body being dropped
//!   once it is over (its declared size sent, an empty body, a response to `HEAD`, a `204` or
//!   `304`). A body that ends owing bytes it declared, or is dropped before its end, was cut short.
//! - **The client goes away** before the body ends (or while the handler is still running, which
//!   actix-web then drops): the tasks run anyway by default; [`OnDisconnect::Skip`] discards them.
//!   actix-web drops a working handler whose client left only with
//!   `HttpServer::h1_allow_half_closed(false)`; by default it lets the handler finish (a client
//!   may half-close and still read), and the report then says how the body ended.
//! - **Every status runs tasks**, as in FastAPI; [`Statuses::Success`] asks for "success only".
//!   An extractor or handler `Err` is a response in actix-web, with its error's status.
//! - **A handler that panics** produces no response: its tasks are discarded.
//! - **Nothing is lost in silence.** Every request that queued a task gets a [`RequestReport`],
//!   handed to [`BackgroundTasksMiddleware::on_report`] or logged when something did not succeed.
//! - **Misuse is loud.** Extracting `BackgroundTasks` without the middleware fails the request with
//!   [`MissingBackgroundTasks`], a `500` whose body names the middleware to add;
//!   `Option<BackgroundTasks>` extracts `None` instead.

#![cfg_attr(docsrs, feature(doc_cfg))]

mod body;
mod middleware;
mod service;
mod shutdown;

pub use background_tasks::MissingBackgroundTasks;
pub use background_tasks_http::{Decision, Ending, OnDisconnect, RequestReport, Statuses};
pub use body::ResponseBody;
pub use middleware::BackgroundTasksMiddleware;
pub use service::{ActixAnswer, BackgroundTasksService, ResponseFuture};
pub use shutdown::run;
