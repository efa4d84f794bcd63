//! The group commit: one pusher per storage takes every job waiting and pushes them with one
//! `push_bulk` (one transaction on SQLite and Postgres, one script call on Redis), then answers
//! each job's waiter with the batch's outcome.

use std::error::Error;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use apalis_core::backend::TaskSink;
use apalis_core::backend::finalize::Durable;
use apalis_core::task::builder::TaskBuilder;
use apalis_core::task::task_id::TaskId;
use background_tasks::integration;
use futures_channel::{mpsc, oneshot};
use futures_lite::{FutureExt, StreamExt};

use crate::id::JobId;

/// How a batch ended, as each of its jobs' waiters hears it.
#[derive(Debug, Clone)]
pub(crate) enum Failure {
    Storage(Arc<dyn Error + Send + Sync + 'static>),
    Panicked(String),
}

/// A job on its way to the pusher, with the id it is stored under and the channel its commit is
/// announced on.
#[derive(Debug)]
pub(crate) struct Pending<J> {
    pub(crate) job: J,
    pub(crate) id: JobId,
    pub(crate) done: oneshot::Sender<Result<(), Failure>>,
}

/// One commit of a batch: apalis's `push_all`, or (feature `sqlite`) one multi-row insert.
pub(crate) trait Commit<J>: Send {
    /// Stores `jobs`, each under its id, in one transaction, or none of them.
    fn commit(
        &mut self,
        jobs: Vec<(JobId, J)>,
    ) -> impl Future<Output = Result<(), Arc<dyn Error + Send + Sync + 'static>>> + Send;
}

/// A batch committed by the storage's own bulk push: `push_all`, which keeps the `task_id` each
/// job was given (`push_bulk` would make its own).
#[derive(Debug)]
pub(crate) struct PushAll<S>(pub(crate) S);

impl<J, S> Commit<J> for PushAll<S>
where
    J: Send,
    S: TaskSink<J, Durable> + Send,
    S::Error: Error + Send + Sync + 'static,
{
    async fn commit(
        &mut self,
        jobs: Vec<(JobId, J)>,
    ) -> Result<(), Arc<dyn Error + Send + Sync + 'static>> {
        let tasks = jobs.into_iter().map(|(id, job)| {
            TaskBuilder::new(job)
                .task_id(TaskId::from_string(id.0))
                .build()
        });
        self.0
            .push_all(futures_lite::stream::iter(tasks))
            .await
            .map_err(|error| {
                let error: Arc<dyn Error + Send + Sync + 'static> = Arc::new(error);
                error
            })
    }
}

/// The pusher's books, shared with every handle.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) pushed: AtomicU64,
    pub(crate) failed: AtomicU64,
    pub(crate) batches: AtomicU64,
    pub(crate) largest_batch: AtomicU64,
}

/// Pushes batches until every sender is gone and the channel is empty: a job handed over before
/// the last handle dropped is still pushed, which is what lets a shutdown that waits for the
/// request queues (each awaiting its own commit) drain the pushes too.
pub(crate) async fn push_batches<J, C>(
    mut storage: C,
    mut receiver: mpsc::UnboundedReceiver<Pending<J>>,
    max_batch: usize,
    counters: Arc<Counters>,
) where
    J: Send,
    C: Commit<J>,
{
    let mut jobs = Vec::new();
    let mut waiters = Vec::new();
    while let Some(first) = receiver.next().await {
        jobs.push((first.id, first.job));
        waiters.push(first.done);
        // Whatever arrived while the previous batch was committing joins this one: the batch
        // grows with the load, and a lone job goes out alone, at once.
        while jobs.len() < max_batch {
            match receiver.try_recv() {
                Ok(pending) => {
                    jobs.push((pending.id, pending.job));
                    waiters.push(pending.done);
                }
                _ => break,
            }
        }
        let size = jobs.len() as u64;
        let pushed = AssertUnwindSafe(storage.commit(std::mem::take(&mut jobs)))
            .catch_unwind()
            .await;
        let outcome = match pushed {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(Failure::Storage(error)),
            Err(payload) => Err(Failure::Panicked(integration::panic_message(
                payload.as_ref(),
            ))),
        };
        counters.batches.fetch_add(1, Ordering::Relaxed);
        counters.largest_batch.fetch_max(size, Ordering::Relaxed);
        let counter = match outcome {
            Ok(()) => &counters.pushed,
            Err(_) => &counters.failed,
        };
        counter.fetch_add(size, Ordering::Relaxed);
        for waiter in waiters.drain(..) {
            // A waiter gone means its run was cancelled (a shutdown deadline): nobody to tell.
            let _ = waiter.send(outcome.clone());
        }
    }
}
