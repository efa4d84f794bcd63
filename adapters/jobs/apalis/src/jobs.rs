//! [`Jobs`]: the handle that queues typed jobs on a request's queue and pushes them to one apalis
//! storage after the response; [`AddJob`], the same as a method of `BackgroundTasks`.

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use apalis_core::backend::codec::Codec;
use apalis_core::backend::finalize::Durable;
use apalis_core::backend::{TaskSink, WireFormatBackend};
#[cfg(feature = "status")]
use background_tasks::status::TaskId;
use background_tasks::{BackgroundTasks, BoxError, Executor, Task};
use futures_channel::{mpsc, oneshot};

use crate::batch::{self, Commit, Counters, Failure, Pending, PushAll};
use crate::error::PushError;
use crate::id::JobId;

/// How many jobs one commit takes at most, unless [`Jobs::with_max_batch`] says otherwise.
pub const DEFAULT_MAX_BATCH: usize = 512;

pub(crate) type Validate<J> = dyn Fn(&J) -> Result<(), BoxError> + Send + Sync + 'static;

/// A cloneable handle to one apalis storage for jobs of type `J`: queue a job on a request's
/// [`BackgroundTasks`] and it is pushed to the storage after the response, as a task of that
/// queue, in order with its other tasks.
///
/// Building it spawns a pusher on the executor. Jobs from many concurrent requests that wait for
/// the storage at the same time are pushed together, in one `push_bulk` (one transaction on
/// SQLite and Postgres, one script on Redis): a *group commit*. Each request's task waits for the
/// commit of its own batch, so a request's jobs reach the storage in the order it queued them,
/// and its next task starts only once its job is stored. A lone job is pushed at once, alone.
///
/// The handle holds no storage connection of its own; the storage's pool does. Clone it into
/// your router's state. The pusher stops once every clone, and every task still holding one, is
/// gone; until then it pushes every job handed to it, so a graceful shutdown that waits for the
/// request queues ([`Runner::shutdown`](background_tasks::Runner::shutdown)) also waits for their
/// pushes.
///
/// # Examples
///
/// ```
/// use apalis_sqlite::{SqlitePool, SqliteStorage};
/// use background_tasks::BackgroundTasks;
/// use background_tasks_apalis::{AddJob, Jobs};
/// use background_tasks_tokio::TokioExecutor;
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Debug, Serialize, Deserialize)]
/// struct WriteNotification {
///     email: String,
///     message: String,
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let pool = SqlitePool::connect(":memory:").await.unwrap();
/// SqliteStorage::setup(&pool).await.unwrap();
/// let jobs = Jobs::new(SqliteStorage::new(&pool), &TokioExecutor::new());
///
/// // In a handler: the request's queue, as the layer hands it out.
/// let tasks = BackgroundTasks::new();
/// tasks.add_job(&jobs, WriteNotification {
///     email: "ada@example.com".into(),
///     message: "some notification".into(),
/// });
///
/// // After the response, the layer runs the queue; here, by hand.
/// let report = tasks.run(&TokioExecutor::new()).await;
/// assert!(report.is_success());
/// assert_eq!(jobs.stats().pushed, 1);
/// # }
/// ```
pub struct Jobs<J> {
    sender: mpsc::UnboundedSender<Pending<J>>,
    validate: Arc<Validate<J>>,
    counters: Arc<Counters>,
}

impl<J: Send + 'static> Jobs<J> {
    /// A handle to `storage`, its pusher spawned on `executor`, committing up to
    /// [`DEFAULT_MAX_BATCH`] jobs at a time.
    ///
    /// The executor must run where the storage's driver can do its I/O: a tokio executor
    /// (`TokioExecutor`) for the storages' `tokio-comp` flavour; smol's or async-std's
    /// (`SmolExecutor`, `AsyncStdExecutor`) for apalis-sqlite's and apalis-postgres's
    /// `async-std-comp` and apalis-redis's `smol-comp`.
    pub fn new<S, E>(storage: S, executor: &E) -> Self
    where
        E: Executor + ?Sized,
        S: TaskSink<J, Durable> + WireFormatBackend + Send + 'static,
        S::Error: Error + Send + Sync + 'static,
        S::Codec: Codec<J> + Clone + Sync,
        <S::Codec as Codec<J>>::Error: Into<BoxError>,
    {
        Self::with_max_batch(storage, executor, DEFAULT_MAX_BATCH)
    }

    /// As [`new`](Self::new), committing at most `max_batch` jobs at a time.
    ///
    /// # Panics
    ///
    /// If `max_batch` is 0.
    pub fn with_max_batch<S, E>(storage: S, executor: &E, max_batch: usize) -> Self
    where
        E: Executor + ?Sized,
        S: TaskSink<J, Durable> + WireFormatBackend + Send + 'static,
        S::Error: Error + Send + Sync + 'static,
        S::Codec: Codec<J> + Clone + Sync,
        <S::Codec as Codec<J>>::Error: Into<BoxError>,
    {
        // The codec runs once more per job here, in the request's own run, so that a job it
        // cannot encode fails alone instead of failing every job of its batch.
        let codec = storage.codec().clone();
        let validate = move |job: &J| codec.encode(job).map(drop).map_err(Into::into);
        Self::with_commit(PushAll(storage), Arc::new(validate), executor, max_batch)
    }

    /// The handle, its pusher committing batches with `commit`.
    pub(crate) fn with_commit<C, E>(
        commit: C,
        validate: Arc<Validate<J>>,
        executor: &E,
        max_batch: usize,
    ) -> Self
    where
        C: Commit<J> + 'static,
        E: Executor + ?Sized,
    {
        assert!(max_batch > 0, "max_batch must be at least 1 job");
        let (sender, receiver) = mpsc::unbounded();
        let counters = Arc::new(Counters::default());
        executor.spawn(Box::pin(batch::push_batches(
            commit,
            receiver,
            max_batch,
            counters.clone(),
        )));
        Self {
            sender,
            validate,
            counters,
        }
    }

    /// The task that pushes `job` when its queue reaches it, labelled with the job's type.
    ///
    /// [`AddJob::add_job`] adds it for you; take it yourself to relabel it or to
    /// [`try_add`](BackgroundTasks::try_add) it.
    ///
    /// # Examples
    ///
    /// ```
    /// # use apalis_sqlite::{SqlitePool, SqliteStorage};
    /// # use background_tasks::BackgroundTasks;
    /// # use background_tasks_apalis::Jobs;
    /// # use background_tasks_tokio::TokioExecutor;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let pool = SqlitePool::connect(":memory:").await.unwrap();
    /// # SqliteStorage::setup(&pool).await.unwrap();
    /// let jobs: Jobs<u64> = Jobs::new(SqliteStorage::new(&pool), &TokioExecutor::new());
    /// let tasks = BackgroundTasks::new();
    /// tasks.add(jobs.task(42).with_label("recompute invoice 42"));
    /// assert!(tasks.run(&TokioExecutor::new()).await.is_success());
    /// # }
    /// ```
    pub fn task(&self, job: J) -> Task {
        let push = self.push(job);
        Task::future(async move { push.await.map(drop) }).with_label(std::any::type_name::<J>())
    }

    /// Pushes `job` through the group commit and resolves once its batch is committed, with the
    /// id the storage keeps it under.
    ///
    /// The task of [`task`](Self::task) is this future. Use it directly to push from outside a
    /// request, or from a handler that must not answer before its job is stored: it joins the
    /// group commit with the other requests' jobs, and on an error the handler can answer 503
    /// (the README's "After the response, or confirmed before it").
    ///
    /// # Errors
    ///
    /// A [`PushError`] naming the job's type, with the storage's or codec's error as its source.
    pub fn push(&self, job: J) -> impl Future<Output = Result<JobId, PushError>> + Send + 'static {
        let sender = self.sender.clone();
        let validate = self.validate.clone();
        async move {
            let name = std::any::type_name::<J>();
            validate(&job).map_err(|error| PushError::encode(name, error))?;
            let (done, committed) = oneshot::channel();
            let id = JobId::new();
            let pending = Pending {
                job,
                id: id.clone(),
                done,
            };
            sender
                .unbounded_send(pending)
                .map_err(|_| PushError::Closed { job: name })?;
            match committed.await {
                Ok(Ok(())) => Ok(id),
                Ok(Err(Failure::Storage(error))) => Err(PushError::Storage { job: name, error }),
                Ok(Err(Failure::Panicked(message))) => {
                    Err(PushError::Panicked { job: name, message })
                }
                Err(oneshot::Canceled) => Err(PushError::Closed { job: name }),
            }
        }
    }

    /// The pusher's counters so far.
    pub fn stats(&self) -> PushStats {
        let counters = &self.counters;
        PushStats {
            pushed: counters.pushed.load(Ordering::Relaxed),
            failed: counters.failed.load(Ordering::Relaxed),
            batches: counters.batches.load(Ordering::Relaxed),
            largest_batch: counters.largest_batch.load(Ordering::Relaxed),
        }
    }
}

impl<J> Clone for Jobs<J> {
    fn clone(&self) -> Self {
        Self {
            sender: self.sender.clone(),
            validate: self.validate.clone(),
            counters: self.counters.clone(),
        }
    }
}

impl<J> fmt::Debug for Jobs<J> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Jobs")
            .field("job", &std::any::type_name::<J>())
            .field("closed", &self.sender.is_closed())
            .finish_non_exhaustive()
    }
}

/// What a [`Jobs`] pusher has done so far: jobs pushed and failed, and in how many commits.
///
/// `pushed / batches` is the group commit at work: the average number of jobs per transaction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PushStats {
    /// Jobs whose batch was committed.
    pub pushed: u64,
    /// Jobs whose batch failed (each one reported as a [`PushError`]).
    pub failed: u64,
    /// Batches pushed, committed or not: one `push_bulk` each.
    pub batches: u64,
    /// The largest batch so far.
    pub largest_batch: u64,
}

/// Queues a typed job on a request's queue: the durable counterpart of
/// [`add_async_task`](BackgroundTasks::add_async_task).
///
/// # Examples
///
/// ```
/// # use apalis_sqlite::{SqlitePool, SqliteStorage};
/// use background_tasks::BackgroundTasks;
/// use background_tasks_apalis::{AddJob, Jobs};
/// # use background_tasks_tokio::TokioExecutor;
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// # let pool = SqlitePool::connect(":memory:").await.unwrap();
/// # SqliteStorage::setup(&pool).await.unwrap();
/// # let jobs: Jobs<String> = Jobs::new(SqliteStorage::new(&pool), &TokioExecutor::new());
///
/// fn handler(tasks: &BackgroundTasks, jobs: &Jobs<String>) {
///     tasks.add_task(|| println!("a sync task, run first"));
///     tasks.add_job(jobs, "ada@example.com".to_owned()); // pushed once the task above ended
/// }
/// # let tasks = BackgroundTasks::new();
/// # handler(&tasks, &jobs);
/// # assert!(tasks.run(&TokioExecutor::new()).await.is_success());
/// # }
/// ```
pub trait AddJob {
    /// Queues `job`: once the response is sent and the tasks queued before it have ended, it is
    /// pushed to `jobs`'s storage, and the queue moves on when the push is committed.
    ///
    /// A failed push is a failed task, reported with the job's type as its label and the
    /// storage's error.
    ///
    /// # Panics
    ///
    /// As [`BackgroundTasks::add`]: if the queue has already finished.
    fn add_job<J: Send + 'static>(&self, jobs: &Jobs<J>, job: J);

    /// Queues `job` as [`add_job`](Self::add_job) does, and gives its task's id: the runner's
    /// observer (and the status page) answers `pushed`, with the job's [`JobId`], once its batch
    /// is committed; `failed`, with the storage's error, if it was not. `None` when nothing
    /// observes the queue (the job is queued all the same).
    ///
    /// The id lives in memory, in the observer's window. A client that must learn the job's fate
    /// whatever happens to this process asks the job engine by the `JobId` instead: answer it
    /// from a handler that awaits [`Jobs::push`] (confirmed before the response).
    ///
    /// # Panics
    ///
    /// As [`BackgroundTasks::add`]: if the queue has already finished.
    #[cfg(feature = "status")]
    #[cfg_attr(docsrs, doc(cfg(feature = "status")))]
    fn add_job_with_id<J: Send + 'static>(&self, jobs: &Jobs<J>, job: J) -> Option<TaskId>;
}

impl AddJob for BackgroundTasks {
    fn add_job<J: Send + 'static>(&self, jobs: &Jobs<J>, job: J) {
        self.add(jobs.task(job));
    }

    #[cfg(feature = "status")]
    fn add_job_with_id<J: Send + 'static>(&self, jobs: &Jobs<J>, job: J) -> Option<TaskId> {
        let Some(observer) = self.observer() else {
            self.add_job(jobs, job);
            return None;
        };
        // The task learns its own id once it is queued, long before it runs (after the response).
        let own_id = Arc::new(std::sync::OnceLock::new());
        let push = jobs.push(job);
        let task = {
            let own_id = Arc::clone(&own_id);
            Task::future(async move {
                let job_id = push.await?;
                if let Some(&id) = own_id.get() {
                    observer.pushed(id, Some(job_id.0));
                }
                Ok::<(), PushError>(())
            })
        };
        let id = self.add_with_id(task.with_label(std::any::type_name::<J>()))?;
        let _ = own_id.set(id);
        Some(id)
    }
}
