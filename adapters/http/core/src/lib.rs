//! The end of an HTTP request, for any framework: run, skip or discard its background tasks, and
//! report.
//!
//! Every framework integration of background-tasks (tower's `BackgroundTasksLayer`, actix-web's
//! and poem's `BackgroundTasksMiddleware`, Rocket's `BackgroundTasksFairing`) does the same three
//! things: it holds a request's queue while the handler works, it sees when the response's body
//! has ended (its trigger), and it decides what to do with the queue then. All of that is written
//! here, once, so that every framework decides alike; an integration keeps only its framework's
//! types (its `Layer`, `Transform`, `Middleware` or `Fairing`, its [`Answer`], its body wrapper
//! when its body is not an `http_body::Body`) and calls these:
//!
//! - [`Integration`] and [`integration_builder!`]: what every framework's builder holds (the
//!   runner and the [`Settings`]: [`OnDisconnect`], [`Statuses`], the report hook) and its builder
//!   methods;
//! - [`RequestTasks`]: one request's queue, made on first use, from the integration's `call` to
//!   [`finish`](RequestTasks::finish), which runs the queue on the [`Dispatcher`]'s runner or
//!   discards it, and delivers the [`RequestReport`];
//! - [`PendingResponse`]: the queue while the handler works: every call into the handler inside
//!   the request's scope, and the request's end if the handler panics, fails or is dropped before
//!   it answers;
//! - [`ResponseFuture`]: the handler's future inside the request's scope, its output handed to the
//!   framework's [`Answer`] ([`HttpAnswer`] for an `http::Response` with an `http_body::Body`);
//! - [`BodyEnd`]: the queue while the body is sent: every poll of the body inside the request's
//!   scope, counted against the bytes it declared ([`ResponseEnd`], [`Sent`]), and the request's
//!   end when the body says it is over or is dropped ([`Ending`]); [`ResponseBody`] holds one
//!   around an `http_body::Body`;
//! - [`PeerAddr`]: the client's address, as a request extension a server inserts.
//!
//! Applications do not use this crate directly; its types are re-exported by the integrations.
//!
//! # Examples
//!
//! The life of one request, as an integration sees it:
//!
//! ```
//! use std::sync::Arc;
//!
//! use background_tasks::{BackgroundTasks, Runner};
//! use background_tasks_http::{
//!     BodyEnd, Decision, Dispatcher, Ending, PendingResponse, RequestTasks, ResponseEnd, Sent,
//!     Settings, Statuses,
//! };
//! use http::{Method, StatusCode};
//! # use background_tasks::{BlockingError, BlockingJob, BoxFuture, Executor};
//! # #[derive(Debug, Clone)] struct MyExecutor;
//! # impl Executor for MyExecutor {
//! #     fn spawn(&self, _: BoxFuture<()>) {}
//! #     fn spawn_blocking(&self, _: BlockingJob) -> BoxFuture<Result<(), BlockingError>> {
//! #         Box::pin(async { Ok(()) })
//! #     }
//! # }
//!
//! let (reports, received) = std::sync::mpsc::channel();
//! let settings = Settings::default()
//!     .with_statuses(Statuses::Success)
//!     .with_on_report(move |report| reports.send(report).unwrap());
//! let dispatch = Arc::new(Dispatcher::new(Runner::new(MyExecutor), settings));
//!
//! // The integration's `call`: the handler runs inside the request's scope.
//! let tasks = RequestTasks::new(dispatch, Method::GET, "/", tracing::Span::current());
//! let mut pending = PendingResponse::new(tasks);
//! pending.in_scope(|| BackgroundTasks::current().unwrap().add_task(|| ()));
//!
//! // The handler answered 500 with a 100-byte body: its tasks go on with the body.
//! let tasks = pending.answered().unwrap();
//! let mut body = vec![vec![0u8; 100]];
//! let mut end = BodyEnd::new(Some(ResponseEnd::new(
//!     tasks,
//!     StatusCode::INTERNAL_SERVER_ERROR,
//!     Some(100),
//! )));
//! // The server polls the body once, has every declared byte, and drops it.
//! let _ = end.poll_next(
//!     std::pin::Pin::new(&mut body),
//!     |body| std::task::Poll::Ready(body.get_mut().pop().map(Ok::<_, ()>)),
//!     |_, chunk| Sent::Data(chunk.len()),
//! );
//! drop(end);
//!
//! let report = received.recv().unwrap();
//! assert_eq!(report.ending(), Ending::Completed);
//! assert_eq!(report.decision(), Decision::SkippedForStatus);
//! assert_eq!(report.run().tasks().len(), 1);
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

mod body;
mod end;
mod future;
mod integration;
mod peer;
mod pending;
mod report;
mod request;
mod response;
mod settings;

pub use body::{BodyEnd, declared_length};
pub use end::{ResponseEnd, Sent};
pub use future::{Answer, ResponseFuture};
pub use integration::Integration;
pub use peer::PeerAddr;
pub use pending::PendingResponse;
pub use report::{Decision, Ending, RequestReport};
pub use request::{Dispatch, Dispatcher, RequestTasks};
pub use response::{HttpAnswer, ResponseBody};
pub use settings::{OnDisconnect, Settings, Statuses};

/// What [`integration_builder!`]'s expansion names, reachable from the crate that invokes it.
#[doc(hidden)]
pub mod __private {
    pub use background_tasks::{Executor, Runner};
}
