//! Runs a request's background tasks after its response body has been sent: a tower layer, an
//! axum extractor.
//!
//! FastAPI lets an endpoint say "do this after you have answered": it takes a `BackgroundTasks`
//! parameter, adds work to it, and Starlette runs that work once the response is out. This crate
//! is that wiring for any tower-based server (axum, hyper, tonic…):
//! [`BackgroundTasksLayer`] gives every request a fresh
//! [`BackgroundTasks`](background_tasks::BackgroundTasks) queue, and when the response body has
//! reached its end it hands the queue to the [`Executor`](background_tasks::Executor) as a task of
//! its own. The client gets every byte first; the connection is free for its next request while
//! the tasks run; a task that fails is reported, not lost.
//!
//! # Examples
//!
//! With axum (feature `axum`), `BackgroundTasks` is an extractor; FastAPI's first example:
//!
//! ```no_run
//! # #[cfg(feature = "axum")]
//! # mod example {
//! use axum::{Router, extract::Path, routing::post};
//! use background_tasks::BackgroundTasks;
//! use background_tasks_tokio::TokioExecutor;
//! use background_tasks_tower::BackgroundTasksLayer;
//!
//! fn write_notification(email: &str, message: &str) {
//!     // Blocking I/O is fine: sync tasks run on the executor's blocking pool.
//!     println!("notification for {email}: {message}");
//! }
//!
//! async fn send_notification(Path(email): Path<String>, tasks: BackgroundTasks) -> &'static str {
//!     tasks.add_task(move || write_notification(&email, "some notification"));
//!     "notification sent in the background"
//! }
//!
//! pub async fn main() {
//!     let app = Router::new()
//!         .route("/send-notification/{email}", post(send_notification))
//!         .layer(BackgroundTasksLayer::new(TokioExecutor::new()));
//!     let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await.unwrap();
//!     axum::serve(listener, app).await.unwrap();
//! }
//! # }
//! ```
//!
//! With any tower service, `BackgroundTasks::current()` is the request's queue while the service
//! works on it. Here the response body is collected by hand, as a server would send it; the task
//! starts only once it has ended:
//!
//! ```
//! use std::convert::Infallible;
//!
//! use background_tasks::BackgroundTasks;
//! use background_tasks_tokio::TokioExecutor;
//! use background_tasks_tower::BackgroundTasksLayer;
//! use http::{Request, Response};
//! use http_body_util::BodyExt;
//! use tower::{Layer, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "multi_thread", worker_threads = 1)]
//! # async fn main() {
//! let (sent, mut emails) = tokio::sync::mpsc::unbounded_channel();
//! let handler = service_fn(move |request: Request<()>| {
//!     let tasks = BackgroundTasks::current().unwrap();
//!     let _ = request;
//!     let sent = sent.clone();
//!     async move {
//!         tasks.add_task(move || sent.send("welcome email").unwrap());
//!         Ok::<_, Infallible>(Response::new("signed up".to_owned()))
//!     }
//! });
//! let service = BackgroundTasksLayer::new(TokioExecutor::new()).layer(handler);
//!
//! let response = service.oneshot(Request::new(())).await.unwrap();
//! assert!(emails.try_recv().is_err(), "nothing runs before the body is sent");
//! let body = response.into_body().collect().await.unwrap().to_bytes();
//! assert_eq!(body, "signed up");
//! assert_eq!(emails.recv().await, Some("welcome email"));
//! # }
//! ```
//!
//! # When the tasks start, and when they do not
//!
//! - **After the last byte is handed to the server.** The trigger is the response body: its
//!   `poll_frame` returning the end, or the body being dropped. Servers drop a body without polling
//!   it further when `is_end_stream` says it is over, and never poll the body of a response to
//!   `HEAD` or with a `204` or `304` status: all of these count as completed. A client reading a
//!   large body slowly sees no task start before the end is sent.
//! - **The client goes away** before the body ends (or while the handler is still running, which
//!   cancels it): the tasks run anyway by default, because the handler promised that work;
//!   [`OnDisconnect::Skip`] discards them instead.
//! - **Every status runs tasks**, as in FastAPI, where an endpoint that returns (even a `500`)
//!   gets its tasks run. A Rust handler's `Err` is a response too, so ask for "success only" with
//!   [`Statuses::Success`] (or [`Statuses::Matching`]).
//! - **A handler that panics**, or a service that returns `Err`, produces no response: its tasks
//!   are discarded, as FastAPI runs none when the endpoint raises. This holds behind tower-http's
//!   `CatchPanicLayer` too, installed outside this layer
//!   (`.layer(BackgroundTasksLayer::new(…)).layer(CatchPanicLayer::new())`); installed inside, it
//!   turns the panic into an ordinary `500` response, which runs tasks unless [`Statuses`] says
//!   otherwise.
//! - **Nothing is lost in silence.** Tasks that do not run are reported as
//!   [`Outcome::Discarded`](background_tasks::Outcome::Discarded), and every request that queued a
//!   task gets a [`RequestReport`], handed to [`BackgroundTasksLayer::on_report`] or, by default,
//!   logged as a `tracing` event when something did not succeed.
//!
//! A request that queues nothing costs no allocation: its queue is created the first time
//! something asks for it. Nothing is spawned or reported for it.
//!
//! # Features
//!
//! - `axum`: `BackgroundTasks` implements axum's `FromRequestParts` (and `Option<BackgroundTasks>`
//!   works without the layer). Without the layer, extracting it fails the request with
//!   [`MissingBackgroundTasks`], a `500` that names the layer to add.
//!
//! To serve it on smol, async-std or tokio with a header-read timeout, a connection cap and a
//! graceful shutdown on SIGTERM, see `background-tasks-server`.

#![cfg_attr(docsrs, feature(doc_cfg))]

mod layer;
mod service;

#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub use background_tasks::MissingBackgroundTasks;
// The request's end is decided alike for every framework, in `background-tasks-http`; tower
// users see its types here, unchanged.
pub use background_tasks_http::{
    Decision, Ending, OnDisconnect, RequestReport, ResponseBody, Statuses,
};
pub use layer::BackgroundTasksLayer;
pub use service::BackgroundTasksService;

/// The response future of [`BackgroundTasksService`]: the inner service's future, inside the
/// request's scope on every poll, whose response body is wrapped in a [`ResponseBody`] that starts
/// the queue when it ends.
///
/// If the inner future fails or panics, the queue is discarded and reported. If this future is
/// dropped before a response (the server cancels the handler when the client goes away), the
/// request is treated as a disconnect, per [`OnDisconnect`].
pub type ResponseFuture<F> =
    background_tasks_http::ResponseFuture<F, background_tasks_http::HttpAnswer>;
