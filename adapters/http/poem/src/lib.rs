//! Runs a request's background tasks after its response body has been sent: a poem middleware.
//!
//! FastAPI lets an endpoint say "do this after you have answered": it takes a `BackgroundTasks`
//! parameter, adds work to it, and Starlette runs that work once the response is out. This crate
//! is that wiring for [poem](https://docs.rs/poem): [`BackgroundTasksMiddleware`] gives every
//! request a fresh [`BackgroundTasks`](background_tasks::BackgroundTasks) queue,
//! `BackgroundTasks` is an extractor that hands it to the handler, and when the response body has
//! reached its end the queue is handed to the [`Executor`](background_tasks::Executor) as a task
//! of its own. It decides alike with tower's `BackgroundTasksLayer` and actix-web's
//! `BackgroundTasksMiddleware`: the same settings, the same [`RequestReport`]s, the same
//! conformance suite.
//!
//! (poem's tower compatibility wraps `poem::Request` and `poem::Response`, whose bodies are not
//! the `http_body::Body` the tower layer wraps, so poem gets a middleware of its own.)
//!
//! # Examples
//!
//! FastAPI's first example:
//!
//! ```no_run
//! use std::time::Duration;
//!
//! use background_tasks::BackgroundTasks;
//! use background_tasks_poem::BackgroundTasksMiddleware;
//! use background_tasks_tokio::TokioExecutor;
//! use poem::listener::TcpListener;
//! use poem::web::Path;
//! use poem::{EndpointExt, Route, Server, handler, post};
//!
//! fn write_notification(email: &str, message: &str) {
//!     // Blocking I/O is fine: sync tasks run on the executor's blocking pool.
//!     println!("notification for {email}: {message}");
//! }
//!
//! #[handler]
//! fn send_notification(Path(email): Path<String>, tasks: BackgroundTasks) -> &'static str {
//!     tasks.add_task(move || write_notification(&email, "some notification"));
//!     "notification sent in the background"
//! }
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     let middleware = BackgroundTasksMiddleware::new(TokioExecutor::new());
//!     let runner = middleware.runner().clone();
//!     let app = Route::new()
//!         .at("/send-notification/:email", post(send_notification))
//!         .with(middleware);
//!     let ctrl_c = async {
//!         let _ = tokio::signal::ctrl_c().await;
//!     };
//!     // Until Ctrl-C; then poem lets its connections finish, and the tasks are drained.
//!     let server = Server::new(TcpListener::bind("127.0.0.1:8000"))
//!         .run_with_graceful_shutdown(app, ctrl_c, None);
//!     background_tasks_poem::run(server, &runner, Duration::from_secs(30)).await?;
//!     Ok(())
//! }
//! ```
//!
//! # When the tasks start, and when they do not
//!
//! - **After the last byte is handed to the server.** The trigger is the response body, as hyper
//!   (poem's server) sees it: `poll_frame` returning the end, or the body being dropped once it is
//!   over (its `Content-Length` sent, an empty or full body, a response to `HEAD`, a `204` or
//!   `304`). A body that ends owing bytes it declared, or is dropped before its end, was cut
//!   short.
//! - **The client goes away** before the body ends, or while the handler is still working (poem
//!   then drops the handler): the tasks run anyway by default; [`OnDisconnect::Skip`] discards
//!   them.
//! - **Every status runs tasks**, as in FastAPI; [`Statuses::Success`] asks for "success only". A
//!   handler's `Err` is a response in poem, with its error's status: when the handler queued
//!   tasks, the middleware gives the error's response its trigger and passes it on as
//!   `poem::Error::from_response`, so error handlers that downcast the original error
//!   (`catch_error`) belong inside the middleware, not around it.
//! - **A handler that panics** produces no response: its tasks are discarded (poem's
//!   `CatchPanic`, outside the middleware, answers `500`).
//! - **Nothing is lost in silence.** Every request that queued a task gets a [`RequestReport`],
//!   handed to [`BackgroundTasksMiddleware::on_report`] or logged when something did not succeed.
//! - **Misuse is loud.** Extracting `BackgroundTasks` without the middleware fails the request with
//!   [`MissingBackgroundTasks`], a `500` whose body names the middleware to add;
//!   `Option<BackgroundTasks>` extracts `None` instead.
//!
//! After the server stops, [`run`] drains the queues with
//! [`Runner::shutdown`](background_tasks::Runner::shutdown).

#![cfg_attr(docsrs, feature(doc_cfg))]

mod endpoint;
mod middleware;
mod shutdown;

pub use background_tasks::MissingBackgroundTasks;
pub use background_tasks_http::{Decision, Ending, OnDisconnect, RequestReport, Statuses};
pub use endpoint::{BackgroundTasksEndpoint, PoemAnswer, ResponseFuture};
pub use middleware::BackgroundTasksMiddleware;
pub use shutdown::run;
