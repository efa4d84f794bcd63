//! Runs background-tasks queues on async-std (discontinued by its authors; prefer smol).
//!
//! **async-std has been discontinued by its authors in favour of smol.** This adapter stays
//! because users asked for it and it keeps working, but new code should use
//! `background-tasks-smol`, which runs on the same foundations (`async-executor`, `blocking`).
//!
//! [`AsyncStdExecutor`] is the [`Executor`] for async-std's global runtime: async tasks go to
//! [`async_std::task::spawn`], sync tasks to [`async_std::task::spawn_blocking`], so a task that
//! blocks for seconds never stalls a worker.
//!
//! # Examples
//!
//! ```
//! use background_tasks::BackgroundTasks;
//! use background_tasks_async_std::AsyncStdExecutor;
//!
//! let report = async_std::task::block_on(async {
//!     let tasks = BackgroundTasks::new();
//!     tasks.add_task(|| println!("on the blocking pool"));
//!     tasks.add_async_task(async { println!("on the runtime") });
//!     tasks.run(&AsyncStdExecutor::new()).await
//! });
//! assert!(report.is_success());
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use background_tasks::{BlockingError, BlockingJob, BoxFuture, Executor};

/// An [`Executor`] backed by async-std's global runtime.
#[derive(Debug, Clone, Copy, Default)]
pub struct AsyncStdExecutor {
    _private: (),
}

impl AsyncStdExecutor {
    /// The executor of async-std's global runtime (started on first use).
    pub fn new() -> Self {
        Self::default()
    }
}

impl Executor for AsyncStdExecutor {
    fn spawn(&self, future: BoxFuture<()>) {
        // Dropping async-std's JoinHandle detaches the task.
        drop(async_std::task::spawn(future));
    }

    fn spawn_blocking(&self, job: BlockingJob) -> BoxFuture<Result<(), BlockingError>> {
        let task = async_std::task::spawn_blocking(move || catch_unwind(AssertUnwindSafe(job)));
        Box::pin(async move {
            task.await
                .map_err(|payload| BlockingError::panicked(payload.as_ref()))
        })
    }

    fn spawn_blocking_detached(&self, job: BlockingJob) {
        // Dropping async-std's JoinHandle detaches the job; it still runs.
        drop(async_std::task::spawn_blocking(job));
    }

    /// async-std's timer.
    fn sleep(&self, duration: Duration) -> Option<BoxFuture<()>> {
        Some(Box::pin(async_std::task::sleep(duration)))
    }
}
