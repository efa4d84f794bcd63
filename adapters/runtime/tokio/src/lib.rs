//! Runs background-tasks queues on tokio: spawn for async tasks, spawn_blocking for sync ones.
//!
//! [`TokioExecutor`] is the [`Executor`] for a tokio runtime. Async tasks are spawned on the
//! runtime's workers; sync tasks go to its blocking pool through
//! [`spawn_blocking`](tokio::runtime::Handle::spawn_blocking), so a task that blocks for seconds
//! never stalls a worker.
//!
//! # Examples
//!
//! ```
//! use background_tasks::BackgroundTasks;
//! use background_tasks_tokio::TokioExecutor;
//!
//! # fn main() {
//! let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
//! let report = runtime.block_on(async {
//!     let tasks = BackgroundTasks::new();
//!     tasks.add_task(|| println!("on the blocking pool"));
//!     tasks.add_async_task(async { println!("on the runtime") });
//!     tasks.run(&TokioExecutor::new()).await
//! });
//! assert!(report.is_success());
//! # }
//! ```
//!
//! Outside the runtime, build it from a tokio [`Handle`] with
//! [`TokioExecutor::from_handle`].

#![cfg_attr(docsrs, feature(doc_cfg))]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use background_tasks::{BlockingError, BlockingJob, BoxFuture, Executor};
use tokio::runtime::Handle;

/// An [`Executor`] backed by a tokio runtime.
#[derive(Debug, Clone)]
pub struct TokioExecutor {
    handle: Handle,
    // Feature `task-tracker`: what this executor spawns is tracked there too.
    #[cfg(feature = "task-tracker")]
    tracker: Option<tokio_util::task::TaskTracker>,
}

impl TokioExecutor {
    /// The executor of the runtime this is called from.
    ///
    /// # Panics
    ///
    /// If called outside a tokio runtime; use [`try_current`](Self::try_current) or
    /// [`from_handle`](Self::from_handle) there.
    pub fn new() -> Self {
        Self::from_handle(Handle::current())
    }

    /// The executor of the runtime this is called from, if there is one.
    ///
    /// # Errors
    ///
    /// tokio's [`TryCurrentError`](tokio::runtime::TryCurrentError) outside a runtime.
    pub fn try_current() -> Result<Self, tokio::runtime::TryCurrentError> {
        Handle::try_current().map(Self::from_handle)
    }

    /// The executor of the runtime behind `handle`.
    pub fn from_handle(handle: Handle) -> Self {
        Self {
            handle,
            #[cfg(feature = "task-tracker")]
            tracker: None,
        }
    }

    /// Registers everything this executor spawns (async runs and blocking jobs) with `tracker`,
    /// so that an application that already drains a tokio-util
    /// [`TaskTracker`](tokio_util::task::TaskTracker) at shutdown (`tracker.close();
    /// tracker.wait().await`) waits for its background tasks too. Feature `task-tracker`.
    ///
    /// [`Runner::shutdown`](background_tasks::Runner::shutdown) still gives the deadline and the
    /// report of what it cut off; the tracker only waits.
    ///
    /// # Examples
    ///
    /// ```
    /// use background_tasks::BackgroundTasks;
    /// use background_tasks_tokio::TokioExecutor;
    /// use tokio_util::task::TaskTracker;
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let tracker = TaskTracker::new();
    /// let executor = TokioExecutor::new().with_tracker(tracker.clone());
    /// let runner = background_tasks::Runner::new(executor);
    /// let tasks = BackgroundTasks::new();
    /// tasks.add_async_task(async { println!("tracked") });
    /// runner.spawn(tasks, |_| ());
    /// tracker.close();
    /// tracker.wait().await; // the queue has run
    /// # });
    /// ```
    #[cfg(feature = "task-tracker")]
    #[cfg_attr(docsrs, doc(cfg(feature = "task-tracker")))]
    #[must_use = "with_tracker returns the tracking executor"]
    pub fn with_tracker(mut self, tracker: tokio_util::task::TaskTracker) -> Self {
        self.tracker = Some(tracker);
        self
    }

    /// The runtime handle tasks are spawned on.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }
}

impl Default for TokioExecutor {
    /// The ambient runtime's executor, as [`TokioExecutor::new`].
    fn default() -> Self {
        Self::new()
    }
}

impl From<Handle> for TokioExecutor {
    fn from(handle: Handle) -> Self {
        Self::from_handle(handle)
    }
}

impl Executor for TokioExecutor {
    fn spawn(&self, future: BoxFuture<()>) {
        // Dropping the JoinHandle detaches the task; it still runs to its end.
        #[cfg(feature = "task-tracker")]
        if let Some(tracker) = &self.tracker {
            drop(tracker.spawn_on(future, &self.handle));
            return;
        }
        drop(self.handle.spawn(future));
    }

    fn spawn_blocking(&self, job: BlockingJob) -> BoxFuture<Result<(), BlockingError>> {
        let job = move || catch_unwind(AssertUnwindSafe(job));
        #[cfg(feature = "task-tracker")]
        let handle = match &self.tracker {
            Some(tracker) => tracker.spawn_blocking_on(job, &self.handle),
            None => self.handle.spawn_blocking(job),
        };
        #[cfg(not(feature = "task-tracker"))]
        let handle = self.handle.spawn_blocking(job);
        Box::pin(async move {
            match handle.await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(payload)) => Err(BlockingError::panicked(payload.as_ref())),
                Err(error) if error.is_panic() => {
                    Err(BlockingError::panicked(error.into_panic().as_ref()))
                }
                Err(_) => Err(BlockingError::Cancelled),
            }
        })
    }

    fn spawn_blocking_detached(&self, job: BlockingJob) {
        // tokio runs a blocking job whether or not its JoinHandle is kept.
        #[cfg(feature = "task-tracker")]
        if let Some(tracker) = &self.tracker {
            drop(tracker.spawn_blocking_on(job, &self.handle));
            return;
        }
        drop(self.handle.spawn_blocking(job));
    }

    /// tokio's timer. The runtime must have it enabled (`enable_time` or `enable_all` on its
    /// builder); tokio panics with a message saying so otherwise.
    fn sleep(&self, duration: Duration) -> Option<BoxFuture<()>> {
        // `Sleep` binds to the timer of the runtime it is created in.
        let _runtime = self.handle.enter();
        Some(Box::pin(tokio::time::sleep(duration)))
    }
}
