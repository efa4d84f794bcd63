//! Test doubles around an executor: [`RecordingExecutor`] counts what the core asks of it,
//! [`CancellingExecutor`] drops every blocking job as a pool that shut down would.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use background_tasks::{BlockingError, BlockingJob, BoxFuture, Executor};

/// Wraps an executor and counts its calls, to check how the core uses it (one blocking trip per
/// run of consecutive sync tasks, say).
#[derive(Debug, Clone)]
pub struct RecordingExecutor<E> {
    inner: E,
    counts: Arc<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    spawns: AtomicUsize,
    blocking_trips: AtomicUsize,
}

impl<E: Executor> RecordingExecutor<E> {
    /// Records the calls made to `inner`, which still does the work.
    pub fn new(inner: E) -> Self {
        Self {
            inner,
            counts: Arc::default(),
        }
    }

    /// How many futures were spawned.
    pub fn spawns(&self) -> usize {
        self.counts.spawns.load(Ordering::SeqCst)
    }

    /// How many jobs were sent to the blocking pool.
    pub fn blocking_trips(&self) -> usize {
        self.counts.blocking_trips.load(Ordering::SeqCst)
    }
}

impl<E: Executor> Executor for RecordingExecutor<E> {
    fn spawn(&self, future: BoxFuture<()>) {
        self.counts.spawns.fetch_add(1, Ordering::SeqCst);
        self.inner.spawn(future);
    }

    fn spawn_blocking(&self, job: BlockingJob) -> BoxFuture<Result<(), BlockingError>> {
        self.counts.blocking_trips.fetch_add(1, Ordering::SeqCst);
        self.inner.spawn_blocking(job)
    }

    fn spawn_blocking_detached(&self, job: BlockingJob) {
        self.counts.blocking_trips.fetch_add(1, Ordering::SeqCst);
        self.inner.spawn_blocking_detached(job);
    }

    fn sleep(&self, duration: Duration) -> Option<BoxFuture<()>> {
        self.inner.sleep(duration)
    }
}

/// Wraps an executor whose blocking pool refuses all work: every job is dropped unrun and comes
/// back as [`BlockingError::Cancelled`], as from a runtime that is shutting down.
#[derive(Debug, Clone)]
pub struct CancellingExecutor<E> {
    inner: E,
}

impl<E: Executor> CancellingExecutor<E> {
    /// Spawns through `inner`, refuses every blocking job.
    pub fn new(inner: E) -> Self {
        Self { inner }
    }
}

impl<E: Executor> Executor for CancellingExecutor<E> {
    fn spawn(&self, future: BoxFuture<()>) {
        self.inner.spawn(future);
    }

    fn spawn_blocking(&self, job: BlockingJob) -> BoxFuture<Result<(), BlockingError>> {
        drop(job);
        Box::pin(async { Err(BlockingError::Cancelled) })
    }

    fn spawn_blocking_detached(&self, job: BlockingJob) {
        drop(job);
    }
}
