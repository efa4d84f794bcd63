//! The observer (feature `status`): an in-memory, bounded record of a runner's recent queues and
//! their tasks, for a live status page and for task ids a handler can hand to its client.
//!
//! - this module: [`Observer`], what it shows ([`QueueView`], [`TaskView`], [`TaskState`],
//!   [`Counts`]) and [`TaskId`];
//! - `record`: one queue's record, and `Watch`, the queue state's link to it (all a queue pays).
//!
//! Nothing here runs unless a runner was given an observer ([`Runner::observe`]); without the
//! feature the queue's link is a unit struct whose methods do nothing.
//!
//! [`Runner::observe`]: crate::Runner::observe

mod record;
mod view;

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::str::FromStr;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Instant, SystemTime};

use event_listener::Event;
use parking_lot::Mutex;

use crate::report::{Outcome, TaskReport};
use crate::settle::{Cause, settle_unrun};
use crate::task::Task;

pub(crate) use self::record::Watch;
use self::record::{QueueRecord, SharedRecord, TaskRecord};
pub use self::view::{Changes, Counts, QueueRequest, QueueView, TaskState, TaskView};

/// The number of recent queues an [`Observer`] keeps when not told otherwise.
pub const DEFAULT_WINDOW: usize = 1000;

/// An in-memory, bounded record of a runner's recent queues: each queue's request, each task's
/// label, kind, times and outcome, and live counts. Give it to a runner with
/// [`Runner::observe`](crate::Runner::observe); read it from a status page.
///
/// It keeps the last `window` queues that had a task; older ones are forgotten, so memory stays
/// flat however many requests are served. Clones share one record.
///
/// # Examples
///
/// ```
/// use background_tasks::status::{Observer, TaskState};
/// use background_tasks::{Runner, Outcome};
/// # use background_tasks::{BlockingError, BlockingJob, BoxFuture, Executor};
/// # #[derive(Debug, Clone)] struct Inline;
/// # impl Executor for Inline {
/// #     fn spawn(&self, _: BoxFuture<()>) { unimplemented!() }
/// #     fn spawn_blocking(&self, job: BlockingJob) -> BoxFuture<Result<(), BlockingError>> {
/// #         job(); Box::pin(async { Ok(()) })
/// #     }
/// # }
/// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     let mut f = std::pin::pin!(f);
/// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
/// #     loop { if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } }
/// # }
///
/// let observer = Observer::new(100);
/// let runner = Runner::new(Inline).observe(observer.clone());
/// let tasks = runner.queue();
/// let id = tasks.add_task_with_id(|| ()).expect("the runner observes its queues");
/// assert_eq!(observer.task(id), TaskState::Queued);
/// block_on(runner.run(tasks));
/// assert_eq!(observer.task(id), TaskState::Ended(Outcome::Succeeded));
/// ```
#[derive(Clone)]
pub struct Observer {
    inner: Arc<Inner>,
}

struct Inner {
    window: usize,
    // Oldest first; ids increase from front to back.
    queues: Mutex<VecDeque<SharedRecord>>,
    // Bumped by every change; a record keeps the value of its last change.
    version: AtomicU64,
    changed: Event,
    counts: Totals,
    phase: AtomicU8,
    redact: Option<Redact>,
    // The wall clock at one instant, to turn the records' instants into times a page can show.
    epoch: (Instant, SystemTime),
}

type Redact = Arc<dyn Fn(&str) -> String + Send + Sync + 'static>;

/// Whether the observed runner takes new work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RunnerPhase {
    /// Running queues and taking new ones.
    Serving,
    /// [`Runner::shutdown`](crate::Runner::shutdown) was called: the queues left are draining and
    /// no new one starts.
    Draining,
}

impl RunnerPhase {
    /// `"serving"` or `"draining"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Serving => "serving",
            Self::Draining => "draining",
        }
    }
}

/// Totals since the observer was made, whatever has left the window.
#[derive(Default)]
struct Totals {
    queued: AtomicU64,
    started: AtomicU64,
    // Settled after they started (succeeded, failed, panicked, timed out, cut off running).
    ran: AtomicU64,
    // Settled without starting (skipped, discarded, cancelled, abandoned before their start).
    unrun: AtomicU64,
    succeeded: AtomicU64,
    failed: AtomicU64,
    panicked: AtomicU64,
    timed_out: AtomicU64,
    skipped: AtomicU64,
    discarded: AtomicU64,
    abandoned: AtomicU64,
}

impl Observer {
    /// An observer that keeps the last `window` queues.
    ///
    /// # Panics
    ///
    /// If `window` is zero: it would keep nothing to show.
    pub fn new(window: usize) -> Self {
        assert!(
            window > 0,
            "Observer::new(0) would keep no queue; use a window of at least 1 (the default is {DEFAULT_WINDOW})"
        );
        Self {
            inner: Arc::new(Inner {
                window,
                queues: Mutex::new(VecDeque::new()),
                version: AtomicU64::new(0),
                changed: Event::new(),
                counts: Totals::default(),
                phase: AtomicU8::new(0),
                redact: None,
                epoch: (Instant::now(), SystemTime::now()),
            }),
        }
    }

    /// Passes every label and error text through `redact` before it is recorded: for secrets a
    /// label or an error message may carry (an email address, a token).
    ///
    /// # Panics
    ///
    /// If this observer was already cloned (given to a runner): set it first.
    #[must_use = "redact returns the configured observer"]
    pub fn redact<F>(mut self, redact: F) -> Self
    where
        F: Fn(&str) -> String + Send + Sync + 'static,
    {
        Arc::get_mut(&mut self.inner)
            .expect("Observer::redact must be called before the observer is cloned or used")
            .redact = Some(Arc::new(redact));
        self
    }

    /// How many queues it keeps.
    pub fn window(&self) -> usize {
        self.inner.window
    }

    /// Whether the observed runner is serving or draining.
    pub fn phase(&self) -> RunnerPhase {
        match self.inner.phase.load(Ordering::Acquire) {
            0 => RunnerPhase::Serving,
            _ => RunnerPhase::Draining,
        }
    }

    /// The current version: every change to a kept queue raises it.
    pub fn version(&self) -> u64 {
        self.inner.version.load(Ordering::Acquire)
    }

    /// Resolves once the version is above `seen`: something changed since.
    pub fn changed(&self, seen: u64) -> impl Future<Output = ()> + Send + 'static {
        let inner = Arc::clone(&self.inner);
        async move {
            loop {
                if inner.version.load(Ordering::Acquire) > seen {
                    return;
                }
                let listener = inner.changed.listen();
                // Checked again once listening: a change between the two would be missed.
                if inner.version.load(Ordering::Acquire) > seen {
                    return;
                }
                listener.await;
            }
        }
    }

    /// Live counts: totals per outcome since the observer was made, and the tasks waiting and
    /// running now.
    pub fn counts(&self) -> Counts {
        let t = &self.inner.counts;
        let load = |c: &AtomicU64| c.load(Ordering::Acquire);
        let (queued, started, ran, unrun) = (
            load(&t.queued),
            load(&t.started),
            load(&t.ran),
            load(&t.unrun),
        );
        Counts {
            queued,
            waiting: queued.saturating_sub(started + unrun),
            running: started.saturating_sub(ran),
            succeeded: load(&t.succeeded),
            failed: load(&t.failed),
            panicked: load(&t.panicked),
            timed_out: load(&t.timed_out),
            skipped: load(&t.skipped),
            discarded: load(&t.discarded),
            abandoned: load(&t.abandoned),
        }
    }

    /// Every kept queue, oldest first.
    pub fn queues(&self) -> Vec<QueueView> {
        self.changes_since(0, usize::MAX).queues
    }

    /// The kept queues changed after version `seen`, at most `max` of them (the most recently
    /// changed), oldest first; how many more changed is in [`Changes::dropped`].
    pub fn changes_since(&self, seen: u64, max: usize) -> Changes {
        // Read first: a change racing the scan is sent again next time, never missed.
        let version = self.version();
        let records: Vec<SharedRecord> = self.inner.queues.lock().iter().cloned().collect();
        let oldest = records.first().map(|r| r.lock().id());
        let mut changed: Vec<QueueView> = records
            .iter()
            .filter_map(|record| {
                let record = record.lock();
                (record.version() > seen).then(|| record.view(self.inner.epoch))
            })
            .collect();
        let dropped = changed.len().saturating_sub(max);
        if dropped > 0 {
            changed.sort_by_key(|q| q.version);
            changed.drain(..dropped);
            changed.sort_by_key(|q| q.id);
        }
        Changes {
            version,
            oldest,
            queues: changed,
            dropped,
        }
    }

    /// What became of the task `id`: [`TaskState::Unknown`] once its queue has left the window
    /// (or for an id this observer never gave).
    pub fn task(&self, id: TaskId) -> TaskState {
        self.find(id.queue)
            .and_then(|record| record.lock().task_state(id.index))
            .unwrap_or(TaskState::Unknown)
    }

    /// The task `id` with its times and outcome, while its queue is in the window.
    pub fn task_view(&self, id: TaskId) -> Option<TaskView> {
        let record = self.find(id.queue)?;
        let view = record.lock().view(self.inner.epoch);
        view.tasks.into_iter().nth(id.index as usize)
    }

    /// Notes that the task `id` handed a durable job to its storage, which keeps it as `job_id`
    /// (where the storage gave one): once the task has succeeded, [`task`](Self::task) answers
    /// [`TaskState::Pushed`] instead of `succeeded`. `background-tasks-apalis` calls it for the
    /// jobs it queues with an id; a bridge to another job engine can too. An id not in the
    /// window is ignored: its queue is forgotten already.
    pub fn pushed(&self, id: TaskId, job_id: Option<String>) {
        if let Some(record) = self.find(id.queue) {
            // Bumped under the record's lock, as every change is (see `Watching::update`).
            let mut record = record.lock();
            let version = self.bump();
            record.pushed(id.index, job_id, version);
        }
    }

    /// Cancels the task `id`, which must not have started: it is taken out of its queue and
    /// settled as [`Outcome::Discarded`] (counted, and in its queue's report), and its record
    /// keeps `reason`.
    ///
    /// # Errors
    ///
    /// [`CancelError`] when the task is not in the window, has started or ended, or its queue
    /// can no longer be reached.
    pub fn cancel(&self, id: TaskId, reason: &str) -> Result<(), CancelError> {
        let record = self.find(id.queue).ok_or(CancelError::Unknown)?;
        let owner = record.lock().owner().ok_or(CancelError::Unreachable)?;
        let task = owner.take_waiting(id.index)?;
        // Settled outside the queue's lock, as every unrun task is: dropping it runs its
        // captures' destructors.
        let report = settle_unrun(None, None, task, Cause::Discarded);
        owner.book_cancelled(id.index, report, self.redacted(reason));
        tracing::info!(task = %id, reason, "background task cancelled");
        Ok(())
    }

    fn find(&self, queue: u64) -> Option<SharedRecord> {
        let queues = self.inner.queues.lock();
        let at = queues
            .binary_search_by_key(&queue, |record| record.lock().id())
            .ok()?;
        Some(Arc::clone(&queues[at]))
    }

    pub(crate) fn draining(&self) {
        self.inner.phase.store(1, Ordering::Release);
        self.bump();
    }

    /// Keeps the record of a new queue `id` with its `first` task, forgetting the oldest beyond the
    /// window. The new record takes the oldest's place in memory when nothing else holds that
    /// (a page reading it would): no allocation per queue once the window is full, and none freed
    /// cold, a thousand queues after it was made.
    fn keep(&self, id: u64, owner: Option<Weak<dyn Owner>>, first: TaskRecord) -> SharedRecord {
        let mut queues = self.inner.queues.lock();
        let oldest = match queues.len() == self.inner.window {
            true => queues.pop_front(),
            false => None,
        };
        let (record, stale, forgotten) = match oldest {
            Some(mut oldest) => match Arc::get_mut(&mut oldest) {
                Some(slot) => {
                    let stale = slot.get_mut().renew(id, owner, first);
                    (oldest, Some(stale), None)
                }
                None => {
                    let record = Arc::new(Mutex::new(QueueRecord::new(id, owner, first)));
                    (record, None, Some(oldest))
                }
            },
            None => {
                let record = Arc::new(Mutex::new(QueueRecord::new(id, owner, first)));
                (record, None, None)
            }
        };
        queues.push_back(Arc::clone(&record));
        drop(queues);
        // Freed outside the window's lock: other queues' records wait on it.
        drop((stale, forgotten));
        record
    }

    /// A change: the new version, for the changed record, and a wake for every watcher.
    fn bump(&self) -> u64 {
        let version = self.inner.version.fetch_add(1, Ordering::AcqRel) + 1;
        self.inner.changed.notify(usize::MAX);
        version
    }

    /// `request` with its path redacted, if the observer redacts; moved, not copied, if not.
    fn redact_path(&self, request: QueueRequest) -> QueueRequest {
        match &self.inner.redact {
            Some(redact) => QueueRequest {
                path: redact(&request.path),
                ..request
            },
            None => request,
        }
    }

    fn redacted(&self, text: &str) -> String {
        match &self.inner.redact {
            Some(redact) => redact(text),
            None => text.to_owned(),
        }
    }

    fn count_outcome(&self, outcome: &Outcome, ran: bool) {
        let t = &self.inner.counts;
        let counter = match outcome {
            Outcome::Succeeded => &t.succeeded,
            Outcome::Failed(_) => &t.failed,
            Outcome::Panicked(_) => &t.panicked,
            Outcome::TimedOut(_) => &t.timed_out,
            Outcome::Skipped => &t.skipped,
            Outcome::Discarded => &t.discarded,
            Outcome::Abandoned(_) => &t.abandoned,
        };
        counter.fetch_add(1, Ordering::AcqRel);
        let phase = if ran { &t.ran } else { &t.unrun };
        phase.fetch_add(1, Ordering::AcqRel);
    }
}

impl Default for Observer {
    /// An observer keeping [`DEFAULT_WINDOW`] queues.
    fn default() -> Self {
        Self::new(DEFAULT_WINDOW)
    }
}

impl fmt::Debug for Observer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Observer")
            .field("window", &self.inner.window)
            .field("kept", &self.inner.queues.lock().len())
            .field("version", &self.version())
            .field("phase", &self.phase())
            .finish_non_exhaustive()
    }
}

/// A watched queue as a cancel reaches it, through its record: the queue's state implements it,
/// so the observer needs nothing of how a queue is kept.
pub(crate) trait Owner: Send + Sync {
    /// Takes the waiting task `index` out of the queue.
    fn take_waiting(&self, index: u32) -> Result<Task, CancelError>;
    /// Books the report of the task `index`, cancelled before it started, and why.
    fn book_cancelled(&self, index: u32, report: TaskReport, reason: String);
}

/// A task's id: which queue (a process-wide number) and its place in that queue. A handler gets
/// one from [`BackgroundTasks::add_task_with_id`](crate::BackgroundTasks::add_task_with_id) and
/// may hand it to its client as text (`"17-0"`), to look up later with [`Observer::task`].
///
/// An id says nothing once its queue has left the observer's window, nor after the process
/// restarts: when the answer must outlive either, queue a durable job instead (the
/// `background-tasks-apalis` crate) and hand out the job's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId {
    queue: u64,
    index: u32,
}

impl TaskId {
    pub(crate) fn new(queue: u64, index: u32) -> Self {
        Self { queue, index }
    }

    /// The queue's number.
    pub fn queue(self) -> u64 {
        self.queue
    }

    /// The task's place in its queue, from 0.
    pub fn index(self) -> u32 {
        self.index
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.queue, self.index)
    }
}

impl FromStr for TaskId {
    type Err = ParseTaskIdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (queue, index) = text.split_once('-').ok_or(ParseTaskIdError::Shape)?;
        let queue = queue.parse().map_err(|_| ParseTaskIdError::Queue)?;
        let index = index.parse().map_err(|_| ParseTaskIdError::Index)?;
        Ok(Self { queue, index })
    }
}

/// A text that is not a [`TaskId`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseTaskIdError {
    /// It is not two numbers joined by `-`.
    Shape,
    /// The queue's number is not a number.
    Queue,
    /// The task's place is not a number.
    Index,
}

impl fmt::Display for ParseTaskIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Shape => {
                "a task id is the queue's number and the task's place joined by `-`, e.g. `17-0`"
            }
            Self::Queue => {
                "the queue's number in this task id is not a number (a task id looks like `17-0`)"
            }
            Self::Index => {
                "the task's place in this task id is not a number (a task id looks like `17-0`)"
            }
        })
    }
}

impl std::error::Error for ParseTaskIdError {}

/// Why [`Observer::cancel`] cancelled nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CancelError {
    /// The task is not in the window: it never was, or its queue has been forgotten.
    Unknown,
    /// The task has started (or ended): only a task that has not started can be cancelled.
    Started,
    /// The queue is gone or closed (it was run, discarded or dropped), or was not made by an
    /// observed runner (`Runner::queue`, or an HTTP integration), so nothing can reach it.
    Unreachable,
}

impl fmt::Display for CancelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Unknown => "no such task in the observer's window (it never was, or its queue has been forgotten)",
            Self::Started => "the task has already started or ended; only a task that has not started can be cancelled",
            Self::Unreachable => "the task's queue can no longer be reached (it was closed or dropped, or not made by an observed runner)",
        })
    }
}

impl std::error::Error for CancelError {}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, OnceLock};

    use super::*;
    use crate::executor::{BlockingError, BlockingJob, BoxFuture, Executor};
    use crate::{BackgroundTasks, FailurePolicy, Runner, Task};

    #[derive(Debug, Clone)]
    struct Inline;

    impl Executor for Inline {
        fn spawn(&self, _: BoxFuture<()>) {
            unreachable!("these tests run queues in place")
        }
        fn spawn_blocking(&self, job: BlockingJob) -> BoxFuture<Result<(), BlockingError>> {
            job();
            Box::pin(async { Ok(()) })
        }
    }

    fn block_on<F: Future>(future: F) -> F::Output {
        let mut future = std::pin::pin!(future);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        loop {
            if let std::task::Poll::Ready(value) = future.as_mut().poll(&mut cx) {
                return value;
            }
        }
    }

    fn observed(window: usize) -> (Observer, Runner<Inline>) {
        let observer = Observer::new(window);
        let runner = Runner::new(Inline).observe(observer.clone());
        (observer, runner)
    }

    #[test]
    fn a_task_that_pushed_a_job_answers_pushed_with_the_job_id_once_it_succeeded() {
        let (observer, runner) = observed(10);
        let tasks = runner.queue();
        assert!(tasks.observer().is_some());
        let ids: Arc<OnceLock<(TaskId, TaskId)>> = Arc::new(OnceLock::new());
        let (o, seen) = (observer.clone(), ids.clone());
        let pushes = tasks
            .add_task_with_id(move || {
                let (me, _) = *seen.get().unwrap();
                o.pushed(me, Some("01JOB".into()));
                // Noted while it runs: still running until it returns.
                assert_eq!(o.task(me), TaskState::Running);
            })
            .unwrap();
        let (o, seen) = (observer.clone(), ids.clone());
        let fails = tasks
            .add_task_with_id(move || {
                let (_, me) = *seen.get().unwrap();
                o.pushed(me, None);
                Err::<(), _>("the storage's answer was lost")
            })
            .unwrap();
        ids.set((pushes, fails)).unwrap();

        block_on(runner.run(tasks));
        let pushed = observer.task(pushes);
        assert_eq!(pushed, TaskState::Pushed(Some("01JOB".into())));
        assert_eq!(
            (pushed.as_str(), pushed.job_id()),
            ("pushed", Some("01JOB"))
        );
        // A task that failed after all is failed, whatever it noted.
        assert_eq!(observer.task(fails).as_str(), "failed");
        // Outside the window, nothing to note: no panic, no record.
        observer.pushed(TaskId::new(u64::MAX, 0), None);
        assert_eq!(observer.task(TaskId::new(u64::MAX, 0)), TaskState::Unknown);
        assert!(BackgroundTasks::new().observer().is_none());
    }

    #[test]
    fn a_task_id_follows_its_task_from_queued_to_its_outcome() {
        let (observer, runner) = observed(10);
        let tasks = runner.queue();
        let seen_running = Arc::new(OnceLock::new());
        let own_id = Arc::new(OnceLock::new());
        let (o, seen, me) = (observer.clone(), seen_running.clone(), own_id.clone());
        let first = tasks
            .add_task_with_id(move || {
                seen.set(o.task(*me.get().unwrap())).unwrap();
            })
            .unwrap();
        own_id.set(first).unwrap();
        let failing = tasks
            .add_async_task_with_id(async { Err::<(), _>("disk full") })
            .unwrap();
        let skipped = tasks
            .add_with_id(Task::sync(|| ()).with_label("after"))
            .unwrap();
        assert_eq!(observer.task(first), TaskState::Queued);
        assert_eq!((failing.queue(), failing.index()), (first.queue(), 1));

        let report = block_on(runner.run(tasks));
        assert_eq!(report.tasks().len(), 3);
        assert_eq!(seen_running.get(), Some(&TaskState::Running));
        assert_eq!(observer.task(first), TaskState::Ended(Outcome::Succeeded));
        let failed = observer.task(failing);
        assert_eq!(
            failed,
            TaskState::Ended(Outcome::Failed("disk full".into()))
        );
        assert_eq!(
            (failed.as_str(), failed.error().as_deref()),
            ("failed", Some("disk full"))
        );
        assert_eq!(observer.task(skipped), TaskState::Ended(Outcome::Skipped));
        let counts = observer.counts();
        assert_eq!(
            (counts.queued, counts.waiting, counts.running),
            (3, 0, 0),
            "{counts:?}"
        );
        assert_eq!((counts.succeeded, counts.failed, counts.skipped), (1, 1, 1));
        let view = observer.task_view(skipped).unwrap();
        assert_eq!((&*view.label, view.started), ("after", None));
        assert!(view.ended.is_some());
    }

    #[test]
    fn the_window_keeps_the_last_queues_and_forgets_the_rest() {
        let (observer, runner) = observed(3);
        let ids: Vec<TaskId> = (0..5)
            .map(|_| {
                let tasks = runner.queue();
                let id = tasks.add_task_with_id(|| ()).unwrap();
                block_on(runner.run(tasks));
                id
            })
            .collect();
        assert_eq!(observer.queues().len(), 3);
        assert_eq!(observer.task(ids[1]), TaskState::Unknown);
        assert_eq!(observer.task(ids[2]), TaskState::Ended(Outcome::Succeeded));
        let kept: Vec<u64> = observer.queues().iter().map(|q| q.id).collect();
        assert_eq!(
            kept,
            ids[2..].iter().map(|id| id.queue()).collect::<Vec<_>>()
        );
        assert_eq!(observer.counts().succeeded, 5, "totals outlive the window");
    }

    #[test]
    fn a_cancelled_task_is_discarded_with_its_reason_and_the_rest_run() {
        let (observer, runner) = observed(10);
        let runner = runner.failure_policy(FailurePolicy::StopOnError);
        let tasks = runner.queue();
        let ran = Arc::new(parking_lot::Mutex::new(Vec::new()));
        let ids: Vec<TaskId> = ["a", "b", "c", "d"]
            .into_iter()
            .map(|label| {
                let ran = ran.clone();
                let task = Task::sync(move || ran.lock().push(label)).with_label(label);
                tasks.add_with_id(task).unwrap()
            })
            .collect();
        // The second cancel finds its task one place nearer the front.
        observer.cancel(ids[1], "nor this").unwrap();
        observer.cancel(ids[2], "not wanted").unwrap();
        assert_eq!(observer.cancel(ids[1], "again"), Err(CancelError::Started));
        let unknown = TaskId::new(u64::MAX, 0);
        assert_eq!(observer.cancel(unknown, "x"), Err(CancelError::Unknown));

        let report = block_on(runner.run(tasks));
        assert_eq!(*ran.lock(), ["a", "d"]);
        assert_eq!(report.count(|o| *o == Outcome::Discarded), 2);
        assert_eq!(observer.task(ids[3]), TaskState::Ended(Outcome::Succeeded));
        let cancelled = observer.task_view(ids[2]).unwrap();
        assert_eq!(cancelled.state, TaskState::Ended(Outcome::Discarded));
        assert_eq!(cancelled.reason.as_deref(), Some("not wanted"));
        assert_eq!(runner.metrics().discarded, 2, "booked like any outcome");
        assert_eq!(observer.counts().discarded, 2);
        assert_eq!(
            observer.cancel(ids[0], "late"),
            Err(CancelError::Unreachable)
        );
    }

    #[test]
    fn changes_since_a_version_bring_only_what_changed() {
        let (observer, runner) = observed(10);
        let first = runner.queue();
        first.add_task(|| ());
        block_on(runner.run(first));
        let seen = observer.version();
        assert!(seen > 0);
        let mut changed = std::pin::pin!(observer.changed(seen));
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        assert!(
            changed.as_mut().poll(&mut cx).is_pending(),
            "nothing new yet"
        );
        let second = runner.queue();
        let id = second.add_task_with_id(|| ()).unwrap();
        assert!(changed.as_mut().poll(&mut cx).is_ready());
        let changes = observer.changes_since(seen, 10);
        let ids: Vec<u64> = changes.queues.iter().map(|q| q.id).collect();
        assert_eq!((ids, changes.dropped), (vec![id.queue()], 0));
        let capped = observer.changes_since(0, 1);
        assert_eq!((capped.queues.len(), capped.dropped), (1, 1));
        assert_eq!(
            capped.queues[0].id,
            id.queue(),
            "the most recent change is kept"
        );
    }

    #[test]
    fn a_described_queue_carries_its_request_and_its_delay() {
        let (observer, runner) = observed(10);
        let tasks = runner.queue();
        tasks.add_task(|| ());
        let request = QueueRequest::new("POST", "/signup", Some(200), "completed");
        crate::integration::describe(&tasks, request.clone());
        block_on(runner.run(tasks));
        let queue = &observer.queues()[0];
        assert_eq!(queue.request.as_ref(), Some(&request));
        assert!(queue.response_end.is_some() && queue.queue_delay.is_some());
    }

    #[test]
    fn a_queue_kept_in_a_forgotten_queues_place_keeps_nothing_of_it() {
        let (observer, runner) = observed(1);
        let first = runner.queue();
        first.add_task(|| ());
        first.add_task(|| ());
        let request = QueueRequest::new("POST", "/signup", Some(200), "completed");
        crate::integration::describe(&first, request);
        block_on(runner.run(first));
        // The first queue is gone: its record is the one the next queue takes.
        let next = runner.queue();
        let id = next.add_task_with_id(|| ()).unwrap();
        let queues = observer.queues();
        assert_eq!(queues.len(), 1);
        let queue = &queues[0];
        assert_eq!(queue.id, id.queue());
        assert_eq!(queue.request, None);
        assert_eq!(queue.response_end, None);
        assert_eq!(queue.tasks.len(), 1, "{:?}", queue.tasks);
        assert_eq!(observer.task(id), TaskState::Queued);
        block_on(runner.run(next));
        assert_eq!(observer.task(id), TaskState::Ended(Outcome::Succeeded));
    }

    #[test]
    fn redaction_applies_to_labels_paths_and_errors() {
        let observer = Observer::new(10).redact(|text| text.replace("ada", "***"));
        let runner = Runner::new(Inline).observe(observer.clone());
        let tasks = runner.queue();
        let task = Task::sync(|| Err::<(), _>("no mailbox for ada")).with_label("mail ada");
        let id = tasks.add_with_id(task).unwrap();
        crate::integration::describe(&tasks, QueueRequest::new("GET", "/u/ada", None, "x"));
        block_on(runner.run(tasks));
        let view = observer.task_view(id).unwrap();
        assert_eq!(view.label, "mail ***");
        assert_eq!(view.state.error().as_deref(), Some("no mailbox for ***"));
        assert_eq!(
            observer.queues()[0].request.as_ref().unwrap().path,
            "/u/***"
        );
    }

    #[test]
    fn unobserved_queues_give_no_id_and_record_nothing() {
        let runner = Runner::new(Inline);
        let tasks = runner.queue();
        assert_eq!(tasks.add_task_with_id(|| ()), None);
        assert_eq!(BackgroundTasks::new().add_task_with_id(|| ()), None);
        assert!(runner.observer().is_none());
        block_on(runner.run(tasks));
    }

    #[test]
    fn draining_shows_once_shutdown_starts() {
        let (observer, runner) = observed(10);
        assert_eq!(observer.phase(), RunnerPhase::Serving);
        block_on(runner.shutdown(std::time::Duration::ZERO));
        assert_eq!(observer.phase(), RunnerPhase::Draining);
    }

    #[test]
    #[should_panic(expected = "already called")]
    fn a_runner_takes_one_observer() {
        let (_, runner) = observed(10);
        let _ = runner.observe(Observer::default());
    }

    #[test]
    fn task_ids_read_back_from_text_and_say_what_is_wrong_otherwise() {
        let id = TaskId::new(17, 3);
        assert_eq!(id.to_string().parse::<TaskId>(), Ok(id));
        assert_eq!("17".parse::<TaskId>(), Err(ParseTaskIdError::Shape));
        assert_eq!("x-1".parse::<TaskId>(), Err(ParseTaskIdError::Queue));
        assert_eq!("1-y".parse::<TaskId>(), Err(ParseTaskIdError::Index));
        assert!(ParseTaskIdError::Shape.to_string().contains("17-0"));
    }
}

#[cfg(test)]
mod cancel_while_running {
    use std::sync::{Arc, OnceLock};

    use super::*;
    use crate::executor::{BlockingError, BlockingJob, BoxFuture, Executor};
    use crate::{Runner, Task};

    #[derive(Debug, Clone)]
    struct Inline;

    impl Executor for Inline {
        fn spawn(&self, _: BoxFuture<()>) {
            unreachable!()
        }
        fn spawn_blocking(&self, job: BlockingJob) -> BoxFuture<Result<(), BlockingError>> {
            job();
            Box::pin(async { Ok(()) })
        }
    }

    #[test]
    fn a_task_cancelled_while_the_one_before_runs_is_reported() {
        let observer = Observer::new(10);
        let runner = Runner::new(Inline).observe(observer.clone());
        let tasks = runner.queue();
        let behind: Arc<OnceLock<TaskId>> = Arc::default();
        let (o, b) = (observer.clone(), behind.clone());
        tasks.add(Task::sync(move || o.cancel(*b.get().unwrap(), "x").unwrap()).with_label("a"));
        behind
            .set(
                tasks
                    .add_with_id(Task::sync(|| ()).with_label("b"))
                    .unwrap(),
            )
            .unwrap();
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        let mut run = std::pin::pin!(runner.run(tasks));
        let std::task::Poll::Ready(report) = run.as_mut().poll(&mut cx) else {
            panic!()
        };
        let outcomes: Vec<Outcome> = report.tasks().iter().map(|t| t.outcome.clone()).collect();
        assert_eq!(outcomes, [Outcome::Discarded, Outcome::Succeeded]);
    }
}
