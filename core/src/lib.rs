//! FastAPI-style background tasks for Rust: queue work during a request, run it in order after the
//! response.
//!
//! A handler often has work that the client should not wait for: send the confirmation email,
//! write the audit log, delete the upload's temporary file. FastAPI's answer is a per-request
//! `BackgroundTasks` queue that the endpoint and its dependencies add to, and that runs, in order,
//! once the response has been sent. This crate is that queue for Rust, independent of any runtime:
//!
//! | FastAPI | here |
//! |---|---|
//! | `background_tasks: BackgroundTasks` parameter | a [`BackgroundTasks`] handle (an extractor in `background-tasks-tower`) |
//! | `add_task(write_log, message)` with a `def` | [`add_task(move \|\| write_log(&message))`](BackgroundTasks::add_task): runs on the blocking pool |
//! | `add_task(async_cleanup, filename)` with an `async def` | [`add_async_task(async_cleanup(filename))`](BackgroundTasks::add_async_task): awaited on the runtime |
//! | the same instance in dependencies and endpoint | clones of one handle share one queue |
//! | Starlette runs the tasks after the response | [`run`](BackgroundTasks::run) them, or let the HTTP layer start them when the body has ended |
//! | an exception stops the remaining tasks | [`FailurePolicy::StopOnError`], reported with the task's label; or [`FailurePolicy::ContinueOnError`] |
//!
//! The runtime comes in through the [`Executor`] trait (spawn a future; run a sync job on a
//! blocking pool), implemented for tokio, smol and async-std by the `background-tasks-tokio`,
//! `-smol` and `-async-std` crates, and easy to implement for your own scheduler.
//!
//! # Examples
//!
//! A queue run by hand, without HTTP, as a unit test would (the executor comes from an adapter
//! crate; a toy one is hidden here):
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use background_tasks::{BackgroundTasks, Outcome};
//! # use background_tasks::{BlockingError, BlockingJob, BoxFuture, Executor};
//! # #[derive(Debug)] struct Inline;
//! # impl Executor for Inline {
//! #     fn spawn(&self, _: BoxFuture<()>) { unimplemented!() }
//! #     fn spawn_blocking(&self, job: BlockingJob) -> BoxFuture<Result<(), BlockingError>> {
//! #         job(); Box::pin(async { Ok(()) })
//! #     }
//! # }
//! # fn block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     let mut f = std::pin::pin!(f);
//! #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
//! #     loop { if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } }
//! # }
//! # let executor = Inline;
//!
//! let log = Arc::new(Mutex::new(Vec::new()));
//!
//! fn write_log(log: &Mutex<Vec<String>>, message: String) {
//!     log.lock().unwrap().push(message);
//! }
//!
//! let tasks = BackgroundTasks::new();
//! let dependency = tasks.clone(); // what a dependency would get: the same queue
//! let l = log.clone();
//! dependency.add_task(move || write_log(&l, "found query: rust".into()));
//! let l = log.clone();
//! tasks.add_async_task(async move { write_log(&l, "message to ada@example.com".into()) });
//!
//! let report = block_on(tasks.run(&executor));
//! assert!(report.is_success());
//! assert_eq!(*log.lock().unwrap(), ["found query: rust", "message to ada@example.com"]);
//! ```
//!
//! # What the run promises
//!
//! - Tasks run one at a time, in the order they were added; tasks added while the queue runs go
//!   to its end. A task added after the queue finished is refused (a panic from
//!   [`add_task`](BackgroundTasks::add_task), the task handed back by
//!   [`try_add`](BackgroundTasks::try_add)), never dropped in silence.
//! - Sync tasks run on the executor's blocking pool, never on an async worker; consecutive sync
//!   tasks share one trip there, and so may queues spawned by one [`Runner`] that start with
//!   sync work (one waits for another's pool thread until the runner's watchdog, 1 ms of the
//!   executor's timer, gives it one of its own; a few milliseconds at p99, see BENCHMARKS.md).
//! - Errors and panics are caught here, not left to the runtime, and reported with the task's
//!   label to an error hook (a `tracing` error event by default). They never escape the run.
//! - The run returns a [`RunReport`] with an [`Outcome`] per task.

#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "actix")]
mod actix;
#[cfg(feature = "axum")]
mod axum;
mod executor;
pub mod integration;
mod label;
mod metrics;
mod panic;
#[cfg(feature = "poem")]
mod poem;
mod policy;
mod queue;
mod report;
#[cfg(feature = "rocket")]
mod rocket;
mod run;
mod scope;
mod settle;
#[cfg(feature = "status")]
#[cfg_attr(docsrs, doc(cfg(feature = "status")))]
pub mod status;
#[cfg(not(feature = "status"))]
#[path = "status/off.rs"]
mod status;
mod task;

pub use executor::{BlockingError, BlockingJob, BoxFuture, Executor};
pub use metrics::Metrics;
pub use policy::FailurePolicy;
pub use queue::{AddTaskError, BackgroundTasks};
pub use report::{AbandonReason, Outcome, RunReport, TaskError, TaskReport, Timeout};
pub use run::{Runner, ShutdownDeadline, ShutdownReport};
pub use scope::MissingBackgroundTasks;
pub use task::{BoxError, Task, TaskKind, TaskResult};
