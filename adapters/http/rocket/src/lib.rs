//! Runs a request's background tasks after its response body has been sent: a Rocket fairing.
//!
//! FastAPI lets an endpoint say "do this after you have answered": it takes a `BackgroundTasks`
//! parameter, adds work to it, and Starlette runs that work once the response is out. This crate
//! is that wiring for [Rocket](https://rocket.rs) 0.5: [`BackgroundTasksFairing`] gives every
//! request a fresh [`BackgroundTasks`](background_tasks::BackgroundTasks) queue,
//! `BackgroundTasks` is a request guard that hands it to the handler, and when the response body
//! has reached its end the queue is handed to the [`Executor`](background_tasks::Executor) as a
//! task of its own. It decides alike with tower's `BackgroundTasksLayer`: the same settings, the
//! same [`RequestReport`]s, the same conformance suite.
//!
//! # Examples
//!
//! FastAPI's first example:
//!
//! ```no_run
//! use std::time::Duration;
//!
//! use background_tasks::BackgroundTasks;
//! use background_tasks_rocket::BackgroundTasksFairing;
//! use background_tasks_tokio::TokioExecutor;
//! use rocket::post;
//!
//! fn write_notification(email: &str, message: &str) {
//!     // Blocking I/O is fine: sync tasks run on the executor's blocking pool.
//!     println!("notification for {email}: {message}");
//! }
//!
//! #[post("/send-notification/<email>")]
//! fn send_notification(email: String, tasks: BackgroundTasks) -> &'static str {
//!     tasks.add_task(move || write_notification(&email, "some notification"));
//!     "notification sent in the background"
//! }
//!
//! #[rocket::main]
//! async fn main() -> Result<(), rocket::Error> {
//!     let fairing = BackgroundTasksFairing::new(TokioExecutor::new());
//!     let runner = fairing.runner().clone();
//!     let rocket = rocket::build()
//!         .attach(fairing)
//!         .mount("/", rocket::routes![send_notification]);
//!     // Until Ctrl-C or SIGTERM; then Rocket lets its connections finish, and the tasks drain.
//!     background_tasks_rocket::run(rocket, &runner, Duration::from_secs(30)).await?;
//!     Ok(())
//! }
//! ```
//!
//! # When the tasks start, and when they do not
//!
//! - **After the last byte is handed to the server.** Rocket writes a response body by reading it
//!   (`AsyncRead`) and handing each chunk to hyper; the fairing wraps the body, and the read that
//!   returns no more bytes (or the drop of a body read to its size, or of the unread body of a
//!   response to `HEAD`, a `204` or `304`) is the end. A body dropped before it, or ending short
//!   of its declared size, was cut short: Rocket stops reading when the client has gone.
//! - **The queue is the request guard's.** Rocket runs guards and handlers inside a future it
//!   polls itself, so `BackgroundTasks::current()` is not the request's queue on Rocket: take
//!   `tasks: BackgroundTasks` as a guard (of the handler, or of another guard, FastAPI's
//!   dependencies).
//! - **The client goes away** before the body ends: the tasks run anyway by default;
//!   [`OnDisconnect::Skip`] discards them. Rocket runs a handler on a task of its own that it
//!   never cancels, so a client that leaves while the handler works is noticed only when the
//!   response is sent.
//! - **Every status runs tasks**, as in FastAPI; [`Statuses::Success`] asks for "success only".
//!   A guard's or handler's error is a response, from the app's catcher for its status.
//! - **A handler that panics**: Rocket catches the panic itself and answers it with its `500`
//!   catcher, which no fairing can tell apart from a handler's own `500`, so the tasks it queued
//!   before panicking run, as for any `500` (on tower, actix-web and poem they are discarded).
//!   Ask for [`Statuses::Success`] to run none on a `500`.
//! - **Nothing is lost in silence.** Every request that queued a task gets a [`RequestReport`],
//!   handed to [`BackgroundTasksFairing::on_report`] or logged when something did not succeed.
//! - **Misuse is loud.** The `BackgroundTasks` guard without the fairing fails the request with
//!   [`MissingBackgroundTasks`]: a `500` (from Rocket's catcher, which does not see the guard's
//!   error) and a `tracing` error event naming the fairing to attach. `Option<BackgroundTasks>`
//!   is `None` instead.
//!
//! After Rocket shuts down, [`run`] drains the queues with
//! [`Runner::shutdown`](background_tasks::Runner::shutdown).

#![cfg_attr(docsrs, feature(doc_cfg))]

mod body;
mod fairing;
mod shutdown;

pub use background_tasks::MissingBackgroundTasks;
pub use background_tasks_http::{Decision, Ending, OnDisconnect, RequestReport, Statuses};
pub use fairing::BackgroundTasksFairing;
pub use shutdown::run;
