//! The [`Executor`] trait: what a runtime must offer to run a queue.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// An owned, type-erased future that can be sent to another thread.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// A sync job handed to an executor's blocking pool.
///
/// The jobs this crate hands over never unwind: every task inside one runs under
/// [`catch_unwind`](std::panic::catch_unwind), so its panic becomes a report, not a dead pool thread.
pub type BlockingJob = Box<dyn FnOnce() + Send + 'static>;

/// A runtime's two capabilities a queue needs: spawning a future, and running sync work off the
/// async workers.
///
/// The trait is object-safe (`Arc<dyn Executor>` works) so that a queue, a layer or a server can hold
/// "some runtime" without being generic over it. The adapter crates implement it for tokio, smol and
/// async-std; implementing it for another scheduler takes two short methods, and the
/// `background-tasks-conformance` crate checks the result with the same suite ours pass.
///
/// # Examples
///
/// An executor that runs everything on fresh OS threads (fine for a test, wasteful in production):
///
/// ```
/// use std::sync::mpsc;
/// use background_tasks::{BackgroundTasks, BlockingError, BlockingJob, BoxFuture, Executor};
///
/// #[derive(Debug)]
/// struct ThreadPerJob;
///
/// impl Executor for ThreadPerJob {
///     fn spawn(&self, future: BoxFuture<()>) {
///         std::thread::spawn(move || block_on(future));
///     }
///
///     fn spawn_blocking(&self, job: BlockingJob) -> BoxFuture<Result<(), BlockingError>> {
///         let (done, finished) = mpsc::channel();
///         std::thread::spawn(move || {
///             job();
///             let _ = done.send(());
///         });
///         // A real executor wakes the awaiting task; this one simply blocks the caller.
///         Box::pin(async move { finished.recv().map_err(|_| BlockingError::Cancelled) })
///     }
/// }
///
/// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     use std::task::{Context, Poll, Waker};
/// #     let mut f = std::pin::pin!(f);
/// #     let mut cx = Context::from_waker(Waker::noop());
/// #     loop { if let Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } std::thread::yield_now(); }
/// # }
/// let tasks = BackgroundTasks::new();
/// tasks.add_task(|| println!("ran on a blocking thread"));
/// let report = block_on(tasks.run(&ThreadPerJob));
/// assert!(report.is_success());
/// ```
pub trait Executor: Send + Sync + 'static {
    /// Spawns `future` as a detached task on the runtime.
    ///
    /// The future must be polled to its end even though nobody awaits it: a queue started after a
    /// response relies on that.
    fn spawn(&self, future: BoxFuture<()>);

    /// Runs `job` on a pool of threads reserved for blocking work, never on an async worker, and
    /// returns a future that resolves once `job` has returned.
    ///
    /// # Errors
    ///
    /// [`BlockingError::Cancelled`] if the job was dropped without running to its end (the pool shut
    /// down), [`BlockingError::Panicked`] if it unwound. The queue reports the affected tasks
    /// instead of losing them.
    fn spawn_blocking(&self, job: BlockingJob) -> BoxFuture<Result<(), BlockingError>>;

    /// Runs `job` on the blocking pool as [`spawn_blocking`](Self::spawn_blocking) does, with
    /// nobody awaiting it: the job must run even though its end is not observed.
    ///
    /// A spawned queue whose first task is sync starts this way, straight on the pool, and a
    /// sync-only queue never touches an async worker: one thread hand-off per queue, as a
    /// hand-written fire-and-forget `spawn_blocking`, instead of two. The jobs the runner hands
    /// over report their own fate: one dropped unrun reports its queue's tasks as abandoned.
    ///
    /// The default spawns a future that awaits [`spawn_blocking`](Self::spawn_blocking), which is
    /// right for every executor and one hop slower. Override it when the pool runs a job whether
    /// or not its handle is awaited (tokio's and async-std's do; smol's needs `detach`).
    fn spawn_blocking_detached(&self, job: BlockingJob) {
        let finished = self.spawn_blocking(job);
        // The outcome is the job's own business (see above), so there is nothing to hand back.
        self.spawn(Box::pin(async move {
            let _ = finished.await;
        }));
    }

    /// A future that resolves once `duration` has passed, on the runtime's own timer; `None` (the
    /// default) if this executor has no timer.
    ///
    /// Per-task timeouts ([`Runner::task_timeout`](crate::Runner::task_timeout)) and shutdown
    /// deadlines ([`Runner::shutdown`](crate::Runner::shutdown)) need it. The adapters use tokio's,
    /// async-io's and async-std's timers; an executor without one can still run queues.
    fn sleep(&self, duration: Duration) -> Option<BoxFuture<()>> {
        let _ = duration;
        None
    }
}

impl<E: Executor + ?Sized> Executor for Arc<E> {
    fn spawn(&self, future: BoxFuture<()>) {
        (**self).spawn(future)
    }

    fn spawn_blocking(&self, job: BlockingJob) -> BoxFuture<Result<(), BlockingError>> {
        (**self).spawn_blocking(job)
    }

    fn spawn_blocking_detached(&self, job: BlockingJob) {
        (**self).spawn_blocking_detached(job)
    }

    fn sleep(&self, duration: Duration) -> Option<BoxFuture<()>> {
        (**self).sleep(duration)
    }
}

impl<E: Executor + ?Sized> Executor for Box<E> {
    fn spawn(&self, future: BoxFuture<()>) {
        (**self).spawn(future)
    }

    fn spawn_blocking(&self, job: BlockingJob) -> BoxFuture<Result<(), BlockingError>> {
        (**self).spawn_blocking(job)
    }

    fn spawn_blocking_detached(&self, job: BlockingJob) {
        (**self).spawn_blocking_detached(job)
    }

    fn sleep(&self, duration: Duration) -> Option<BoxFuture<()>> {
        (**self).sleep(duration)
    }
}

/// Why a [`BlockingJob`] did not run to its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlockingError {
    /// The blocking pool dropped the job before it finished, typically because the runtime is
    /// shutting down.
    Cancelled,
    /// The job panicked; the payload's message is kept.
    Panicked(String),
}

impl BlockingError {
    /// The error for a job that unwound with `payload`, as returned by
    /// [`catch_unwind`](std::panic::catch_unwind) or a runtime's join handle.
    pub fn panicked(payload: &(dyn std::any::Any + Send)) -> Self {
        Self::Panicked(crate::panic::panic_message(payload))
    }
}

impl fmt::Display for BlockingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Cancelled => f.write_str("the blocking pool dropped the job before it finished"),
            Self::Panicked(message) => write!(f, "the blocking job panicked: {message}"),
        }
    }
}

impl std::error::Error for BlockingError {}
