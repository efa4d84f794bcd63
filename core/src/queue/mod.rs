//! [`BackgroundTasks`]: one request's queue of work, shared by cheap clones.

mod fifo;
pub(crate) mod state;

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::metrics::Ledger;
use crate::report::RunReport;
use crate::settle::{Cause, settle_unrun};
use crate::task::{Task, TaskResult};

use self::state::{Closed, Refusal, State};

/// A queue of background work, run in order once its owner is done with it (after the response,
/// when an HTTP layer drives it).
///
/// Clones are cheap and share one queue, as FastAPI shares one `BackgroundTasks` between a request's
/// dependencies and its endpoint: hand a clone to every extractor, middleware or helper that wants to
/// add work, and the tasks run in the order they were added.
///
/// A queue runs once, through [`run`](Self::run) or a [`Runner`](crate::Runner). Tasks added while
/// it runs (by a task, say) run after the ones already queued; a task added after it finished is
/// refused with an error, never dropped in silence.
///
/// # Examples
///
/// ```
/// use background_tasks::BackgroundTasks;
///
/// let tasks = BackgroundTasks::new();
/// let for_dependency = tasks.clone(); // same queue
/// for_dependency.add_task(|| println!("queued by a dependency"));
/// tasks.add_async_task(async { println!("queued by the handler") });
/// assert_eq!(tasks.len(), 2);
/// ```
#[derive(Clone)]
pub struct BackgroundTasks {
    shared: Arc<Mutex<State>>,
}

impl Default for BackgroundTasks {
    fn default() -> Self {
        Self::counted_by(None)
    }
}

impl BackgroundTasks {
    /// An empty queue. Creating it allocates the shared handle and nothing else.
    pub fn new() -> Self {
        Self::default()
    }

    /// A queue counted in a runner's books from its first task.
    pub(crate) fn counted_by(ledger: Option<Arc<Ledger>>) -> Self {
        Self {
            // The state knows its own handle (weakly) for an observer's cancel to reach it.
            shared: Arc::new_cyclic(|owner| Mutex::new(State::new(ledger, owner))),
        }
    }

    /// The queue's state, locked.
    pub(crate) fn state(&self) -> parking_lot::MutexGuard<'_, State> {
        self.shared.lock()
    }

    /// Queues a sync function: it will run on the executor's blocking pool, never on an async
    /// worker. Capture its arguments in the closure: `add_task(move || write_log(&message))` is
    /// FastAPI's `add_task(write_log, message)`.
    ///
    /// `work` may return `()` or `Result<(), E>`; an `Err` is reported with the task's label. The
    /// label defaults to the function it was written in and where it was added
    /// (`app::send_notification at src/app.rs:12`); see [`Task::with_label`] to choose one:
    /// `tasks.add(Task::sync(work).with_label("send welcome email"))`.
    ///
    /// # Panics
    ///
    /// If the queue can no longer run the task (it finished running, was discarded, or its runner
    /// is shutting down and it has not started): dropping the task silently would lose work. Use
    /// [`try_add`](Self::try_add) to get the task back instead.
    ///
    /// # Examples
    ///
    /// ```
    /// use background_tasks::BackgroundTasks;
    ///
    /// fn write_notification(email: &str, message: &str) {
    ///     println!("notification for {email}: {message}");
    /// }
    ///
    /// let tasks = BackgroundTasks::new();
    /// let email = String::from("ada@example.com");
    /// tasks.add_task(move || write_notification(&email, "some notification"));
    /// ```
    #[track_caller]
    pub fn add_task<F, R>(&self, work: F)
    where
        F: FnOnce() -> R + Send + 'static,
        R: TaskResult,
    {
        self.add(Task::sync(work));
    }

    /// Queues a future: it will be awaited on the executor after the tasks queued before it.
    ///
    /// Pass the call of an `async fn` directly (`add_async_task(async_cleanup(filename))`): nothing
    /// runs until the queue reaches it. The output may be `()` or `Result<(), E>`.
    ///
    /// # Panics
    ///
    /// If the queue can no longer run the task, as for [`add_task`](Self::add_task).
    ///
    /// # Examples
    ///
    /// ```
    /// use background_tasks::BackgroundTasks;
    ///
    /// async fn async_cleanup(filename: String) {
    ///     println!("cleaned up {filename}");
    /// }
    ///
    /// let tasks = BackgroundTasks::new();
    /// tasks.add_async_task(async_cleanup("report.csv".into()));
    /// ```
    #[track_caller]
    pub fn add_async_task<Fut, R>(&self, future: Fut)
    where
        Fut: Future<Output = R> + Send + 'static,
        R: TaskResult,
    {
        self.add(Task::future(future));
    }

    /// Queues a [`Task`] built by hand (for its label, say).
    ///
    /// # Panics
    ///
    /// If the queue can no longer run the task, as for [`add_task`](Self::add_task).
    #[track_caller]
    pub fn add(&self, task: Task) {
        if let Err(error) = self.try_add(task) {
            panic!("{error}");
        }
    }

    /// Queues a [`Task`], or gives it back if the queue can no longer run it.
    ///
    /// # Errors
    ///
    /// [`AddTaskError`] holding the task when the queue already finished running, was discarded,
    /// or has not started and its runner is shutting down.
    ///
    /// # Examples
    ///
    /// ```
    /// use background_tasks::{BackgroundTasks, Task};
    ///
    /// let tasks = BackgroundTasks::new();
    /// let report = tasks.clone().discard();
    /// assert_eq!(report.tasks().len(), 0);
    ///
    /// let refused = tasks.try_add(Task::sync(|| ()).with_label("late")).unwrap_err();
    /// assert_eq!(refused.into_task().label(), "late");
    /// ```
    pub fn try_add(&self, task: Task) -> Result<(), AddTaskError> {
        self.state()
            .push(task)
            .map_err(|(task, reason)| AddTaskError { task, reason })
    }

    /// Queues a sync function as [`add_task`](Self::add_task) does, and gives its id, by which
    /// the runner's [`Observer`](crate::status::Observer) (and a status page) tells what became
    /// of it. A handler may hand the id to its client as text (`id.to_string()`).
    ///
    /// `None` when nothing observes this queue (its runner was given no observer, or the queue
    /// was made by [`BackgroundTasks::new`]): the task is queued all the same.
    ///
    /// # Panics
    ///
    /// If the queue can no longer run the task, as for [`add_task`](Self::add_task).
    #[cfg(feature = "status")]
    #[cfg_attr(docsrs, doc(cfg(feature = "status")))]
    #[track_caller]
    pub fn add_task_with_id<F, R>(&self, work: F) -> Option<crate::status::TaskId>
    where
        F: FnOnce() -> R + Send + 'static,
        R: TaskResult,
    {
        self.add_with_id(Task::sync(work))
    }

    /// Queues a future as [`add_async_task`](Self::add_async_task) does, and gives its id, as
    /// [`add_task_with_id`](Self::add_task_with_id).
    ///
    /// # Panics
    ///
    /// If the queue can no longer run the task, as for [`add_task`](Self::add_task).
    #[cfg(feature = "status")]
    #[cfg_attr(docsrs, doc(cfg(feature = "status")))]
    #[track_caller]
    pub fn add_async_task_with_id<Fut, R>(&self, future: Fut) -> Option<crate::status::TaskId>
    where
        Fut: Future<Output = R> + Send + 'static,
        R: TaskResult,
    {
        self.add_with_id(Task::future(future))
    }

    /// Queues a [`Task`] built by hand and gives its id, as
    /// [`add_task_with_id`](Self::add_task_with_id).
    ///
    /// # Panics
    ///
    /// If the queue can no longer run the task, as for [`add_task`](Self::add_task).
    #[cfg(feature = "status")]
    #[cfg_attr(docsrs, doc(cfg(feature = "status")))]
    #[track_caller]
    pub fn add_with_id(&self, task: Task) -> Option<crate::status::TaskId> {
        let pushed = self.state().push_tracked(task);
        match pushed {
            Ok(id) => id,
            Err((task, reason)) => panic!("{}", AddTaskError { task, reason }),
        }
    }

    /// The observer watching this queue: its runner's
    /// ([`Runner::observe`](crate::Runner::observe)), or `None`. A task that hands its work on
    /// (a durable job) tells it where the work went with [`Observer::pushed`](crate::status::Observer::pushed).
    #[cfg(feature = "status")]
    #[cfg_attr(docsrs, doc(cfg(feature = "status")))]
    pub fn observer(&self) -> Option<crate::status::Observer> {
        self.state().observer()
    }

    /// The number of tasks waiting to run.
    pub fn len(&self) -> usize {
        self.state().len()
    }

    /// Whether no task is waiting to run.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn close_if_empty(&self) -> bool {
        self.state().close_if_empty()
    }

    pub(crate) fn same_queue(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// Closes the queue without running it: every waiting task is dropped and reported as
    /// [`Outcome::Discarded`](crate::Outcome::Discarded), and later additions are refused.
    ///
    /// An HTTP layer calls this when the handler panicked (FastAPI runs no background task when the
    /// endpoint raises, and neither do we, but we say which ones did not run) or when a setting
    /// skips the queue. A queue that is running or already ran is left alone: its tasks are
    /// accounted for by that run, and the report is empty.
    pub fn discard(self) -> RunReport {
        let Some(drained) = self.state().discard() else {
            return RunReport::default();
        };
        // Settled outside the lock: dropping a task runs its captures' destructors.
        let reports: Vec<_> = drained
            .into_iter()
            .map(|task| settle_unrun(None, None, task, Cause::Discarded))
            .collect();
        let mut state = self.state();
        for report in reports {
            state.record(report);
        }
        state.take_report()
    }
}

impl fmt::Debug for BackgroundTasks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("BackgroundTasks")
            .field(&*self.state())
            .finish()
    }
}

/// A task was added to a queue that can no longer run it. The task is inside, not lost.
pub struct AddTaskError {
    task: Task,
    reason: Refusal,
}

impl AddTaskError {
    /// The refused task, to run some other way.
    pub fn into_task(self) -> Task {
        self.task
    }
}

impl fmt::Debug for AddTaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AddTaskError")
            .field("task", &self.task)
            .field("reason", &self.reason)
            .finish()
    }
}

impl fmt::Display for AddTaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = self.task.label();
        match self.reason {
            Refusal::Closed(Closed::Ran) => write!(
                f,
                "background task `{label}` was added after its queue finished running; add tasks \
                 before the response is complete, or from a task of the same queue"
            ),
            Refusal::Closed(Closed::Discarded) => write!(
                f,
                "background task `{label}` was added to a discarded queue (its request ended \
                 without running its tasks: the handler failed, or a setting skipped them)"
            ),
            Refusal::ShuttingDown => write!(
                f,
                "background task `{label}` was refused: its runner is shutting down and runs no \
                 new queue"
            ),
            Refusal::Closed(Closed::Abandoned) => write!(
                f,
                "background task `{label}` was refused: its queue was abandoned (its runner shut \
                 down, or its run was lost or cancelled)"
            ),
        }
    }
}

impl std::error::Error for AddTaskError {}
