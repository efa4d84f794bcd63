//! Runs background-tasks queues on smol: its executors for async tasks, the blocking pool for sync
//! ones.
//!
//! [`SmolExecutor`] is the [`Executor`] for smol. Async tasks are spawned on an
//! [`smol::Executor`] you hand it, or on smol's global executor; sync tasks go to the process-wide
//! blocking pool of the `blocking` crate ([`smol::unblock`]), which grows up to
//! `BLOCKING_MAX_THREADS` threads (500 by default), so a task that blocks for seconds never stalls
//! an executor thread.
//!
//! # Examples
//!
//! ```
//! use std::sync::Arc;
//! use background_tasks::BackgroundTasks;
//! use background_tasks_smol::SmolExecutor;
//!
//! let ex = Arc::new(smol::Executor::new());
//! let report = smol::block_on(ex.run(async {
//!     let tasks = BackgroundTasks::new();
//!     tasks.add_task(|| println!("on the blocking pool"));
//!     tasks.add_async_task(async { println!("on the executor") });
//!     tasks.run(&SmolExecutor::from(ex.clone())).await
//! }));
//! assert!(report.is_success());
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Duration;

use background_tasks::{BlockingError, BlockingJob, BoxFuture, Executor};

/// An [`Executor`] backed by smol: an explicit [`smol::Executor`], or smol's global one.
#[derive(Clone, Default)]
pub struct SmolExecutor {
    executor: Option<Arc<smol::Executor<'static>>>,
}

impl SmolExecutor {
    /// Spawns on smol's global executor ([`smol::spawn`]), which runs its own threads.
    pub fn new() -> Self {
        Self::default()
    }

    /// Spawns on `executor`. Something must drive it (`executor.run(..)` on some thread), as with
    /// any task spawned there.
    pub fn from_executor(executor: Arc<smol::Executor<'static>>) -> Self {
        Self {
            executor: Some(executor),
        }
    }

    /// The explicit executor tasks are spawned on, if any.
    pub fn executor(&self) -> Option<&Arc<smol::Executor<'static>>> {
        self.executor.as_ref()
    }
}

impl From<Arc<smol::Executor<'static>>> for SmolExecutor {
    fn from(executor: Arc<smol::Executor<'static>>) -> Self {
        Self::from_executor(executor)
    }
}

impl fmt::Debug for SmolExecutor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmolExecutor")
            .field("global", &self.executor.is_none())
            .finish()
    }
}

impl Executor for SmolExecutor {
    fn spawn(&self, future: BoxFuture<()>) {
        match &self.executor {
            Some(executor) => executor.spawn(future).detach(),
            None => smol::spawn(future).detach(),
        }
    }

    fn spawn_blocking(&self, job: BlockingJob) -> BoxFuture<Result<(), BlockingError>> {
        // The blocking crate's tasks never get cancelled once spawned, so only a panic can fail.
        let task = smol::unblock(move || catch_unwind(AssertUnwindSafe(job)));
        Box::pin(async move {
            task.await
                .map_err(|payload| BlockingError::panicked(payload.as_ref()))
        })
    }

    fn spawn_blocking_detached(&self, job: BlockingJob) {
        // Dropping the blocking crate's task would cancel a job not yet started: detach it instead.
        smol::unblock(job).detach();
    }

    /// smol's timer (async-io's `Timer`, driven by its reactor thread).
    fn sleep(&self, duration: Duration) -> Option<BoxFuture<()>> {
        let timer = smol::Timer::after(duration);
        Some(Box::pin(async move {
            timer.await;
        }))
    }
}
