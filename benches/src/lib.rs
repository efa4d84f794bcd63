//! Benchmarks of background-tasks against the hand-written alternatives: criterion micro benches,
//! allocations per request, and an HTTP load server.
//!
//! Not published and not part of CI's test run (CI only compiles the benches). What each bench
//! measures, the targets and the commands are in `BENCHMARKS.md` at the workspace root:
//!
//! ```text
//! cargo bench -p background-tasks-benches --bench micro        # criterion, ours beside the raw counterpart
//! cargo bench -p background-tasks-benches --bench allocations  # heap allocations per request
//! python3 benches/load.py                                       # wrk against load_server, medians of rounds
//! ```
//!
//! This library holds what the allocation bench and the load server share, so that both measure
//! exactly the same application:
//! - [`Scenario`]: the configurations compared (bare axum, the layer with no task, one or ten
//!   tasks, the hand-written `spawn` and `spawn_blocking`);
//! - [`App`]: the axum `Router` of a scenario, with its [`Counters`] (requests, tasks queued and
//!   completed, spawns and blocking trips) and a `/stats` route that reports them;
//! - [`Runtime`]: the raw spawn primitives of tokio, smol and async-std, for the hand-written
//!   alternatives;
//! - [`Counting`]: an [`Executor`](background_tasks::Executor) wrapper that counts spawns and
//!   blocking trips, so that "at most one spawn per request" is measured, not assumed.
//!
//! # Examples
//!
//! ```
//! use background_tasks_benches::{App, Placement, Scenario, Tokio};
//! use background_tasks_tokio::TokioExecutor;
//!
//! let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
//! let _guard = runtime.enter();
//! let app = App::new::<Tokio>(Scenario::OneSync, TokioExecutor::new(), Placement::InsideRouter);
//! assert_eq!(app.stats().requests, 0);
//! ```

mod actix;
mod app;
mod counters;
mod poem;
mod rocket;
mod runtime;
mod scenario;

pub mod peer;

pub use actix::ActixApp;
pub use app::{App, OBSERVER_VAR, Placement};
pub use counters::{Counters, Counting, Stats};
pub use poem::PoemApp;
pub use rocket::RocketApp;
pub use runtime::{AsyncStd, Runtime, Smol, Tokio};
pub use scenario::{ParseScenarioError, Scenario};
