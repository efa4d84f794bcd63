//! Durable jobs for background-tasks: typed jobs queued on a request's `BackgroundTasks`, pushed
//! to an apalis storage after the response, many requests per commit.
//!
//! A `BackgroundTasks` queue lives and dies with its process: a crash, a `kill -9` or a deploy
//! past its deadline loses what it had not run, and it runs only on the machine that served the
//! request. FastAPI sends users who need more to Celery. Here the same queue takes a **typed
//! job** for [apalis](https://docs.rs/apalis), the Rust job engine: after the response, in order
//! with the request's other tasks, the job is pushed to an apalis storage (SQLite, Postgres,
//! Redis), whose workers run it on any process or machine, with retries, at least once.
//!
//! - [`Jobs`]: a cloneable handle to one storage for one job type. Its pusher commits the jobs of
//!   all the requests waiting at the same moment together (one `push_bulk`: one transaction), so
//!   the database is not the bottleneck of a busy server; each request waits for its own commit.
//! - [`AddJob::add_job`]: `tasks.add_job(&jobs, job)`, the durable `add_task`.
//! - [`PushError`]: a push that failed, with the job's type and the storage's own error.
//!
//! Everything the HTTP layer does for tasks holds for the push, because the push *is* a task:
//! it starts after the response body has ended, under the layer's `Statuses` and `OnDisconnect`
//! settings (a handler that panics pushes nothing), it is counted in the runner's metrics, a
//! failure is reported under the runner's failure policy, and `Runner::shutdown` waits for it.
//!
//! # Examples
//!
//! ```
//! use apalis_sqlite::{SqlitePool, SqliteStorage};
//! use background_tasks::BackgroundTasks;
//! use background_tasks_apalis::{AddJob, Jobs};
//! use background_tasks_tokio::TokioExecutor;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Debug, Serialize, Deserialize)]
//! struct WriteNotification {
//!     email: String,
//!     message: String,
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let pool = SqlitePool::connect(":memory:").await.unwrap();
//! SqliteStorage::setup(&pool).await.unwrap();
//! let jobs = Jobs::new(SqliteStorage::new(&pool), &TokioExecutor::new());
//!
//! // What a handler does with its request's queue:
//! let tasks = BackgroundTasks::new();
//! tasks.add_job(&jobs, WriteNotification {
//!     email: "ada@example.com".into(),
//!     message: "some notification".into(),
//! });
//!
//! // What the layer does after the response:
//! assert!(tasks.run(&TokioExecutor::new()).await.is_success());
//! assert_eq!(jobs.stats().pushed, 1);
//! # }
//! ```
//!
//! A worker process runs the job with apalis, as any apalis job:
//! `WorkerBuilder::new("notifier").backend(SqliteStorage::new(&pool)).build(write_notification)`.
//! `examples/durable` is a complete web server and worker pair.
//!
//! # What to know
//!
//! - **The window.** Between the response and the commit, the job lives only in the web
//!   process's memory: a `kill -9` there loses it (a graceful shutdown does not). Once committed
//!   it survives any process.
//! - **At least once.** apalis runs a job at least once: a worker killed between a job's end and
//!   its acknowledgement runs it again elsewhere. Make handlers idempotent.
//! - **Runtimes.** The pusher is spawned on any [`Executor`](background_tasks::Executor); the
//!   storage's driver needs a runtime it supports. Tested (`tests/bridge.rs`, every check on
//!   each): tokio, smol and async-std, each with SQLite, Postgres and Redis. On tokio, the
//!   storages' `tokio-comp` features; on smol and async-std, apalis-sqlite's and
//!   apalis-postgres's `async-std-comp` (sqlx's async-std runtime, on the async-io reactor smol
//!   shares) and apalis-redis's `smol-comp` (the redis client's smol runtime; it has no async-std
//!   one, and needs none: its connection task runs on smol's global executor beside async-std).
//!   With both flavours compiled in, sqlx and redis use tokio when a tokio runtime is current and
//!   the other flavour otherwise.
//! - **SQLite's commit.** apalis-sqlite's `push_bulk` runs one `INSERT` per job. With the
//!   `sqlite` feature, `Jobs::sqlite(storage, &executor)` commits each batch as one multi-row
//!   `INSERT` of the same rows into apalis-sqlite's table, about twice the group commit's
//!   throughput under load; `tests/sqlite_rows.rs` compares its rows with apalis's own, column by
//!   column, so a version of apalis-sqlite that changes them fails the tests, not your workers.
//! - **Redis backlogs.** apalis-redis 1.0's fetch fails once more than about 8,000 jobs are due
//!   at once; with the `redis` feature, `redis::promote_due` keeps that from happening.

#![cfg_attr(docsrs, feature(doc_cfg))]

mod batch;
mod error;
mod id;
mod jobs;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub mod redis;
#[cfg(feature = "sqlite")]
mod sqlite;

pub use error::PushError;
pub use id::JobId;
pub use jobs::{AddJob, DEFAULT_MAX_BATCH, Jobs, PushStats};
