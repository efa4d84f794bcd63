//! [`BackgroundTasks`]: one request's queue of work, shared by cheap clones.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::lifecycle::Lifecycle;
use crate::report::{Outcome, Reports, RunReport, TaskReport};
use crate::task::{Task, TaskResult};

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
#[derive(Clone, Default)]
pub struct BackgroundTasks {
    pub(crate) shared: Arc<Mutex<State>>,
}

#[derive(Default)]
pub(crate) struct State {
    // `VecDeque::new` does not allocate: an empty queue costs only its handle.
    pub(crate) queue: Fifo,
    pub(crate) phase: Phase,
    // Filled by the runner and, for sync batches, by the blocking pool thread.
    pub(crate) reports: Reports,
    pub(crate) failed: bool,
    // Tasks a shutdown deadline abandoned while the task before them was still running: reported
    // after that task, so the report stays in queue order.
    pub(crate) abandoned_after_current: Vec<TaskReport>,
    // The counters and shutdown state of the runner that made or runs this queue.
    pub(crate) lifecycle: Option<Arc<Lifecycle>>,
}

impl Drop for State {
    fn drop(&mut self) {
        // The last handle is gone and nobody ran or discarded the queue: say so, rather than let
        // its tasks vanish. (The HTTP layer always runs or discards; this catches hand-made queues.)
        if self.phase == Phase::Open && !self.queue.is_empty() {
            let tasks = self.queue.len();
            if let Some(lifecycle) = &self.lifecycle {
                let outcome = Outcome::Abandoned(String::new());
                lifecycle.counters.settled(&outcome, tasks);
            }
            let labels: Vec<&str> = self.queue.iter().map(Task::label).collect();
            tracing::warn!(
                tasks,
                ?labels,
                "a BackgroundTasks queue was dropped without being run; its tasks never ran"
            );
        }
    }
}

impl State {
    /// Records a task's outcome in the report and the runner's counters.
    pub(crate) fn settle(&mut self, report: TaskReport) {
        if let Some(lifecycle) = &self.lifecycle {
            lifecycle.counters.settled(&report.outcome, 1);
        }
        self.reports.push(report);
    }

    /// Counts a queue made elsewhere in `lifecycle`'s metrics from now on, its waiting tasks as
    /// queued; a queue already counted somewhere keeps its counters.
    pub(crate) fn count_in(&mut self, lifecycle: Option<&Arc<Lifecycle>>) {
        if let (None, Some(lifecycle)) = (&self.lifecycle, lifecycle) {
            lifecycle.counters.queued(self.queue.len());
            self.lifecycle = Some(Arc::clone(lifecycle));
        }
    }

    /// Records a task that ran: its outcome may stop the queue.
    pub(crate) fn settle_task(&mut self, report: TaskReport) {
        self.failed |= report.outcome.is_failure();
        self.settle(report);
    }

    /// The report so far, in queue order, leaving the state empty.
    pub(crate) fn take_report(&mut self) -> RunReport {
        let mut tasks = std::mem::take(&mut self.reports);
        for report in self.abandoned_after_current.drain(..) {
            tasks.push(report);
        }
        RunReport { tasks }
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    #[default]
    Open,
    Running,
    Finished,
    Discarded,
    /// Closed by a runner's shutdown before it started.
    Abandoned,
}

impl BackgroundTasks {
    /// An empty queue. Creating it allocates the shared handle and nothing else.
    pub fn new() -> Self {
        Self::default()
    }

    /// A queue counted by a runner's lifecycle from its first task.
    pub(crate) fn counted_by(lifecycle: Option<Arc<Lifecycle>>) -> Self {
        let mut state = State::default();
        state.lifecycle = lifecycle;
        Self {
            shared: Arc::new(Mutex::new(state)),
        }
    }

    /// Queues a sync function: it will run on the executor's blocking pool, never on an async
    /// worker. Capture its arguments in the closure: `add_task(move || write_log(&message))` is
    /// FastAPI's `add_task(write_log, message)`.
    ///
    /// `work` may return `()` or `Result<(), E>`; an `Err` is reported with the task's label. The
    /// label defaults to the closure's type name; see [`Task::with_label`] to choose one.
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
        let mut state = self.shared.lock();
        let reason = match state.phase {
            // A queue that has not started belongs to a request; once its runner is shutting
            // down, that request's work would be cut off, so it is refused now, not lost later.
            Phase::Open if state.lifecycle.as_ref().is_some_and(|l| l.is_closed()) => {
                Reason::ShuttingDown
            }
            Phase::Open | Phase::Running => {
                if let Some(lifecycle) = &state.lifecycle {
                    lifecycle.counters.queued(1);
                }
                state.queue.push_back(task);
                return Ok(());
            }
            Phase::Finished => Reason::Finished,
            Phase::Discarded => Reason::Discarded,
            Phase::Abandoned => Reason::ShuttingDown,
        };
        Err(AddTaskError { task, reason })
    }

    /// The number of tasks waiting to run.
    pub fn len(&self) -> usize {
        self.shared.lock().queue.len()
    }

    /// Whether no task is waiting to run.
    pub fn is_empty(&self) -> bool {
        self.shared.lock().queue.is_empty()
    }

    /// Closes the queue as a finished run would if no task is waiting, and says whether it did.
    ///
    /// This is how a layer ends a request that queued nothing without spawning a run: afterwards,
    /// additions are refused as "added after its queue finished running". Checking and closing
    /// happen under one lock, so a task added concurrently is either refused or makes this return
    /// `false` (and then needs a run).
    pub fn close_if_empty(&self) -> bool {
        let mut state = self.shared.lock();
        let close = state.phase == Phase::Open && state.queue.is_empty();
        if close {
            state.phase = Phase::Finished;
        }
        close
    }

    /// Whether `self` and `other` are handles to the same queue.
    pub fn same_queue(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// Closes the queue without running it: every waiting task is dropped and reported as
    /// [`Outcome::Discarded`], and later additions are refused.
    ///
    /// An HTTP layer calls this when the handler panicked (FastAPI runs no background task when the
    /// endpoint raises, and neither do we, but we say which ones did not run) or when a setting
    /// skips the queue. A queue that is running or already ran is left alone: its tasks are
    /// accounted for by that run, and the report is empty.
    pub fn discard(self) -> RunReport {
        let drained: Vec<Task> = {
            let mut state = self.shared.lock();
            if state.phase != Phase::Open {
                return RunReport::default();
            }
            state.phase = Phase::Discarded;
            if let Some(lifecycle) = &state.lifecycle {
                lifecycle
                    .counters
                    .settled(&Outcome::Discarded, state.queue.len());
            }
            state.queue.take_all()
        };
        // Tasks are dropped outside the lock: their captures' destructors may do anything.
        let tasks = drained
            .into_iter()
            .map(|task| TaskReport {
                label: task.label,
                outcome: Outcome::Discarded,
            })
            .collect();
        RunReport { tasks }
    }
}

impl fmt::Debug for BackgroundTasks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.shared.lock();
        f.debug_struct("BackgroundTasks")
            .field("phase", &state.phase)
            .field("waiting", &state.queue.len())
            .finish()
    }
}

/// A task was added to a queue that can no longer run it. The task is inside, not lost.
pub struct AddTaskError {
    task: Task,
    reason: Reason,
}

#[derive(Debug, Clone, Copy)]
enum Reason {
    Finished,
    Discarded,
    ShuttingDown,
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
            Reason::Finished => write!(
                f,
                "background task `{label}` was added after its queue finished running; add tasks \
                 before the response is complete, or from a task of the same queue"
            ),
            Reason::Discarded => write!(
                f,
                "background task `{label}` was added to a discarded queue (its request ended \
                 without running its tasks: the handler failed, or a setting skipped them)"
            ),
            Reason::ShuttingDown => write!(
                f,
                "background task `{label}` was refused: its runner is shutting down and runs no \
                 new queue"
            ),
        }
    }
}

impl std::error::Error for AddTaskError {}

/// The waiting tasks, oldest first. The first is kept inline: most requests queue one task, and
/// then the queue needs no buffer of its own.
#[derive(Default)]
pub(crate) struct Fifo {
    // When present, older than everything in `rest`: a task goes there only into an empty queue.
    head: Option<Task>,
    rest: VecDeque<Task>,
}

impl Fifo {
    pub(crate) fn push_back(&mut self, task: Task) {
        if self.head.is_none() && self.rest.is_empty() {
            self.head = Some(task);
        } else {
            self.rest.push_back(task);
        }
    }

    pub(crate) fn pop_front(&mut self) -> Option<Task> {
        self.head.take().or_else(|| self.rest.pop_front())
    }

    pub(crate) fn front(&self) -> Option<&Task> {
        self.head.as_ref().or_else(|| self.rest.front())
    }

    pub(crate) fn len(&self) -> usize {
        usize::from(self.head.is_some()) + self.rest.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.head.is_none() && self.rest.is_empty()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Task> {
        self.head.iter().chain(&self.rest)
    }

    /// Empties the queue, oldest first.
    pub(crate) fn take_all(&mut self) -> Vec<Task> {
        self.head
            .take()
            .into_iter()
            .chain(self.rest.drain(..))
            .collect()
    }
}
