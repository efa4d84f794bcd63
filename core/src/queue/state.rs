//! [`State`]: one queue's state machine, behind the queue's lock. Every change is a named
//! method; the runner drives it, and nothing else writes its fields.
//!
//! ```text
//! Open ──start──▶ Running(Clean ⇄ Failing) ──next: nothing left──▶ Closed(Ran)
//!  │                  └──close(Abandoned): executor lost it, run cancelled, deadline──▶ Closed(Abandoned)
//!  ├──discard──▶ Closed(Discarded)
//!  ├──close_if_empty──▶ Closed(Ran)
//!  └──cut_for_shutdown──▶ Closed(Abandoned)
//! ```

use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, Weak};

use parking_lot::Mutex;

use crate::executor::BoxFuture;
use crate::metrics::Ledger;
use crate::policy::FailurePolicy;
#[cfg(test)]
use crate::report::Outcome;
use crate::report::{AbandonReason, Reports, RunReport, TaskReport};
use crate::settle::{Cause, RequestName, settle_unrun};
use crate::status::Watch;
use crate::task::{BoxError, SyncWork, Task, Work};

use super::fifo::Fifo;

/// What the watch gives for a queued task: its id when observed (feature `status`).
#[cfg(feature = "status")]
type WatchedAs = Option<crate::status::TaskId>;
#[cfg(not(feature = "status"))]
type WatchedAs = crate::status::NoId;

pub(crate) struct State {
    waiting: Fifo,
    phase: Phase,
    reports: Reports,
    // Tasks a shutdown deadline abandoned while the task before them still ran: reported after
    // that task, so the report stays in queue order.
    after_current: Vec<TaskReport>,
    // The books of the runner that made or runs this queue.
    ledger: Option<Arc<Ledger>>,
    // Its record in the runner's observer, if the runner has one (feature `status`).
    watch: Watch,
    // The request that queued it, named only for the default error hook's stderr line.
    request: Option<Arc<RequestName>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Open,
    Running(Progress),
    Closed(Closed),
}

/// Whether a running queue has seen a task fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Progress {
    Clean,
    Failing,
}

/// Why a queue takes no more tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Closed {
    /// It ran to its end (or had nothing to run).
    Ran,
    /// Its request ended without running it.
    Discarded,
    /// Its runner gave it up: shutting down, the executor lost the run, or the run was cancelled.
    Abandoned,
}

/// Why [`State::push`] refused a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    Closed(Closed),
    /// Not started, and its runner is shutting down.
    ShuttingDown,
}

/// What a run does next, as [`State::next`] decides under the lock.
pub(crate) enum Next {
    /// Run the sync tasks at the front on the blocking pool.
    Sync,
    /// Await this task's future.
    Async {
        label: Cow<'static, str>,
        future: BoxFuture<Result<(), BoxError>>,
    },
    /// Nothing is left to run: the queue is closed.
    Drained(Drained),
}

/// A queue with nothing left to run.
pub(crate) enum Drained {
    Report(RunReport),
    /// Tasks a failure skips, to settle outside the queue's lock (dropping them runs their
    /// captures' destructors, which may do anything).
    Skipping(Vec<Task>),
}

/// The first task of a queue that has not started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lead {
    Sync,
    /// Async, or no task at all, or the queue is not open.
    Other,
}

/// What a shutdown deadline found running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cut {
    /// The queue waited for its turn: its run will find it closed.
    Waiting,
    /// A task of the queue is running and cannot be stopped from here.
    Running,
}

impl State {
    /// A queue counted in `ledger`, held by `owner` (which an observer's cancel reaches).
    pub(crate) fn new(ledger: Option<Arc<Ledger>>, owner: &Weak<Mutex<State>>) -> Self {
        Self {
            waiting: Fifo::default(),
            phase: Phase::Open,
            reports: Reports::default(),
            after_current: Vec::new(),
            watch: watch(ledger.as_ref(), owner),
            ledger,
            request: None,
        }
    }

    /// Names the request that queued this queue, for the default error hook's stderr line.
    pub(crate) fn name_request(&mut self, request: Arc<RequestName>) {
        self.request = Some(request);
    }

    /// The request that queued this queue, if it was named.
    pub(crate) fn request(&self) -> Option<Arc<RequestName>> {
        self.request.clone()
    }

    /// Queues `task`, unless the queue can no longer run it.
    pub(crate) fn push(&mut self, task: Task) -> Result<(), (Task, Refusal)> {
        self.push_watched(task).map(|_| ())
    }

    /// [`push`](Self::push), giving what the watch gave for the task (its id, when observed).
    fn push_watched(&mut self, task: Task) -> Result<WatchedAs, (Task, Refusal)> {
        match self.phase {
            // A queue that has not started belongs to a request; once its runner is shutting
            // down, that request's work would be cut off, so it is refused now, not lost later.
            Phase::Open if self.ledger.as_ref().is_some_and(|l| l.is_closed()) => {
                Err((task, Refusal::ShuttingDown))
            }
            Phase::Open | Phase::Running(_) => {
                if let Some(ledger) = &self.ledger {
                    ledger.queued(1);
                }
                let watched = self.watch.queued(&task);
                self.waiting.push_back(task);
                Ok(watched)
            }
            Phase::Closed(closed) => Err((task, Refusal::Closed(closed))),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.waiting.len()
    }

    pub(crate) fn is_untouched(&self) -> bool {
        self.phase == Phase::Open
    }

    pub(crate) fn is_running(&self) -> bool {
        matches!(self.phase, Phase::Running(_))
    }

    /// Counts a queue made elsewhere in `ledger` from now on, its waiting tasks as queued; a
    /// queue already counted somewhere keeps its books. Returns what its first task is.
    pub(crate) fn adopt(&mut self, ledger: Option<&Arc<Ledger>>) -> Lead {
        if self.phase != Phase::Open {
            return Lead::Other;
        }
        self.count_in(ledger);
        self.watch.handed();
        match self.waiting.front() {
            Some(task) if task.is_sync() => Lead::Sync,
            _ => Lead::Other,
        }
    }

    fn count_in(&mut self, ledger: Option<&Arc<Ledger>>) {
        if let (None, Some(ledger)) = (&self.ledger, ledger) {
            ledger.queued(self.waiting.len());
            #[cfg(feature = "status")]
            self.watch.adopt(ledger.observer(), self.waiting.iter());
            self.ledger = Some(Arc::clone(ledger));
        }
    }

    /// Closes the queue as a finished run would if no task waits; says whether it did.
    pub(crate) fn close_if_empty(&mut self) -> bool {
        let close = self.phase == Phase::Open && self.waiting.is_empty();
        if close {
            self.phase = Phase::Closed(Closed::Ran);
        }
        close
    }

    /// Starts the run, counted in `ledger` if nothing counts the queue yet. A queue a shutdown
    /// deadline abandoned while it waited for its turn gives its report instead.
    ///
    /// # Panics
    ///
    /// If the queue already ran, is running, or was discarded: a queue runs at most once.
    pub(crate) fn start(&mut self, ledger: Option<&Arc<Ledger>>) -> Result<(), RunReport> {
        match self.phase {
            Phase::Open => {
                self.phase = Phase::Running(Progress::Clean);
                self.count_in(ledger);
                Ok(())
            }
            Phase::Closed(Closed::Abandoned) => Err(self.take_report()),
            phase => panic!(
                "a BackgroundTasks queue runs at most once, but this one {}",
                match phase {
                    Phase::Running(_) => "is already running",
                    Phase::Closed(Closed::Ran) => "already ran",
                    _ => "was discarded",
                }
            ),
        }
    }

    /// Picks what the run does next, closing the queue when nothing is left to run (or a failure
    /// stops it under `policy`).
    pub(crate) fn next(&mut self, policy: FailurePolicy) -> Next {
        if let Some(drained) = self.drain_if_done(policy) {
            return Next::Drained(drained);
        }
        let Task { label, work } = self.waiting.pop_front().expect("not drained, so not empty");
        match work {
            Work::Async(future) => {
                self.watch.started();
                Next::Async { label, future }
            }
            // Sync tasks stay queued: the blocking pool takes them itself, one by one.
            work @ Work::Sync(_) => {
                self.waiting.push_front(Task { label, work });
                Next::Sync
            }
        }
    }

    /// The next task if it is sync and the queue is not stopped by a failure: what a trip to
    /// the blocking pool runs.
    pub(crate) fn next_sync(
        &mut self,
        policy: FailurePolicy,
    ) -> Option<(Cow<'static, str>, SyncWork)> {
        if self.is_stopped(policy) {
            return None;
        }
        let Task { label, work } = self.waiting.pop_front()?;
        match work {
            Work::Sync(work) => {
                self.watch.started();
                Some((label, work))
            }
            work @ Work::Async(_) => {
                self.waiting.push_front(Task { label, work });
                None
            }
        }
    }

    fn is_stopped(&self, policy: FailurePolicy) -> bool {
        policy == FailurePolicy::StopOnError && self.phase == Phase::Running(Progress::Failing)
    }

    /// Closes the queue if nothing is left to run, or a failure stops it under `policy`.
    pub(crate) fn drain_if_done(&mut self, policy: FailurePolicy) -> Option<Drained> {
        let skipped = if self.is_stopped(policy) {
            self.take_all(false)
        } else if self.waiting.is_empty() {
            Vec::new()
        } else {
            return None;
        };
        self.phase = Phase::Closed(Closed::Ran);
        Some(if skipped.is_empty() {
            // The common end: the report is complete, taken under the lock already held.
            Drained::Report(self.take_report())
        } else {
            Drained::Skipping(skipped)
        })
    }

    /// Books a settled task: counts it, and adds it to the report. A failure marks the run as
    /// failing, which stops it under `StopOnError`.
    pub(crate) fn record(&mut self, report: TaskReport) {
        if let Some(ledger) = &self.ledger {
            ledger.settled(&report);
        }
        self.watch.settled(&report);
        if report.outcome.is_failure() && self.is_running() {
            self.phase = Phase::Running(Progress::Failing);
        }
        self.reports.push(report);
    }

    /// Closes the queue `how`, taking every waiting task out to settle.
    pub(crate) fn close(&mut self, how: Closed) -> Vec<Task> {
        self.phase = Phase::Closed(how);
        self.take_all(false)
    }

    /// Every waiting task, oldest first, to settle unrun: reported next, or (`after_current`)
    /// after the task running now.
    fn take_all(&mut self, after_current: bool) -> Vec<Task> {
        let tasks = self.waiting.take_all();
        self.watch.taken(tasks.len(), after_current);
        tasks
    }

    /// Closes a queue that has not started without running it, taking its tasks out to settle
    /// as discarded; `None` for a queue that is running or closed (its tasks are accounted for
    /// elsewhere).
    pub(crate) fn discard(&mut self) -> Option<Vec<Task>> {
        (self.phase == Phase::Open).then(|| self.close(Closed::Discarded))
    }

    /// A shutdown deadline passed: closes a queue that waits for its turn, or takes what a
    /// running one has not started. `None` for a queue with nothing of either.
    pub(crate) fn cut_for_shutdown(&mut self) -> Option<(Cut, Vec<Task>)> {
        match self.phase {
            Phase::Open => Some((Cut::Waiting, self.close(Closed::Abandoned))),
            Phase::Running(_) => Some((Cut::Running, self.take_all(true))),
            Phase::Closed(_) => None,
        }
    }

    /// Books a task a shutdown abandoned while the task before it runs: counted now, reported
    /// after that task.
    pub(crate) fn record_after_current(&mut self, report: TaskReport) {
        if let Some(ledger) = &self.ledger {
            ledger.settled(&report);
        }
        self.watch.settled_after_current(&report);
        self.after_current.push(report);
    }

    /// Queues `task`, unless the queue can no longer run it, and gives its id if the queue is
    /// observed.
    #[cfg(feature = "status")]
    pub(crate) fn push_tracked(
        &mut self,
        task: Task,
    ) -> Result<Option<crate::status::TaskId>, (Task, Refusal)> {
        self.push_watched(task)
    }

    /// The observer watching this queue, if its runner has one.
    #[cfg(feature = "status")]
    pub(crate) fn observer(&self) -> Option<crate::status::Observer> {
        self.watch.observer().cloned()
    }

    /// The request this queue belongs to.
    #[cfg(feature = "status")]
    pub(crate) fn describe(&mut self, request: crate::status::QueueRequest) {
        self.watch.describe(request);
    }

    /// Takes the waiting task `index` out of the queue, for an observer's cancel.
    #[cfg(feature = "status")]
    pub(crate) fn cancel(&mut self, index: u32) -> Result<Task, crate::status::CancelError> {
        if matches!(self.phase, Phase::Closed(_)) {
            return Err(crate::status::CancelError::Unreachable);
        }
        let at = self.watch.cancel(index, self.waiting.len())?;
        Ok(self
            .waiting
            .remove(at)
            .expect("the watch placed it among the waiting tasks"))
    }

    /// Books a task cancelled before it started: counted, reported, and its record keeps why.
    #[cfg(feature = "status")]
    pub(crate) fn record_cancelled(&mut self, index: u32, report: TaskReport, reason: String) {
        if let Some(ledger) = &self.ledger {
            ledger.settled(&report);
        }
        self.watch.settled_cancelled(index, &report, reason);
        self.reports.push(report);
    }

    /// The report so far, in queue order, leaving the state's empty.
    pub(crate) fn take_report(&mut self) -> RunReport {
        let mut tasks = std::mem::take(&mut self.reports);
        for report in self.after_current.drain(..) {
            tasks.push(report);
        }
        RunReport { tasks }
    }
}

/// The link to the observer of `ledger`'s runner, if it has one; a cancel reaches the queue
/// through `owner`.
#[cfg(feature = "status")]
fn watch(ledger: Option<&Arc<Ledger>>, owner: &Weak<Mutex<State>>) -> Watch {
    let owner: Weak<dyn crate::status::Owner> = owner.clone();
    Watch::new(ledger.and_then(|ledger| ledger.observer()), Some(owner))
}

#[cfg(not(feature = "status"))]
fn watch(_: Option<&Arc<Ledger>>, _: &Weak<Mutex<State>>) -> Watch {
    Watch
}

/// An observer's cancel, through the queue's record.
#[cfg(feature = "status")]
impl crate::status::Owner for Mutex<State> {
    fn take_waiting(&self, index: u32) -> Result<Task, crate::status::CancelError> {
        self.lock().cancel(index)
    }

    fn book_cancelled(&self, index: u32, report: TaskReport, reason: String) {
        self.lock().record_cancelled(index, report, reason);
    }
}

impl Drop for State {
    fn drop(&mut self) {
        // The last handle is gone and nobody ran or discarded the queue: say so, rather than let
        // its tasks vanish. (The HTTP layer always runs or discards; this catches hand-made queues.)
        if self.phase == Phase::Open && !self.waiting.is_empty() {
            let request = self.request.clone();
            for task in self.close(Closed::Abandoned) {
                let cause = Cause::Abandoned(AbandonReason::QueueDropped);
                let report = settle_unrun(None, request.as_deref(), task, cause);
                self.record(report);
            }
        }
    }
}

impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("State")
            .field("phase", &self.phase)
            .field("waiting", &self.waiting.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(label: &'static str, outcome: Outcome) -> TaskReport {
        TaskReport {
            label: label.into(),
            kind: crate::task::TaskKind::Async,
            outcome,
            duration: std::time::Duration::ZERO,
        }
    }

    #[test]
    fn a_failure_stops_the_run_under_stop_on_error_and_skips_the_rest() {
        let mut state = State::new(None, &Weak::new());
        for label in ["a", "b"] {
            state
                .push(Task::future(async {}).with_label(label))
                .unwrap();
        }
        state.start(None).unwrap();
        let Next::Async { label, .. } = state.next(FailurePolicy::StopOnError) else {
            panic!("an async task waits")
        };
        assert_eq!(label, "a");
        state.record(report("a", Outcome::Failed("no".into())));
        let Next::Drained(Drained::Skipping(skipped)) = state.next(FailurePolicy::StopOnError)
        else {
            panic!("the failure stops the queue")
        };
        assert_eq!(skipped.len(), 1);
        assert!(matches!(
            state.push(Task::sync(|| ())),
            Err((_, Refusal::Closed(Closed::Ran)))
        ));
    }

    #[test]
    fn continue_on_error_runs_the_rest() {
        let mut state = State::new(None, &Weak::new());
        for label in ["a", "b"] {
            state
                .push(Task::future(async {}).with_label(label))
                .unwrap();
        }
        state.start(None).unwrap();
        assert!(matches!(
            state.next(FailurePolicy::ContinueOnError),
            Next::Async { .. }
        ));
        state.record(report("a", Outcome::Panicked("boom".into())));
        assert!(matches!(
            state.next(FailurePolicy::ContinueOnError),
            Next::Async { .. }
        ));
    }

    #[test]
    fn a_shutdown_cuts_a_waiting_queue_whose_run_then_reports_it() {
        let mut state = State::new(None, &Weak::new());
        state.push(Task::sync(|| ()).with_label("late")).unwrap();
        let Some((Cut::Waiting, left)) = state.cut_for_shutdown() else {
            panic!("an open queue waits")
        };
        assert_eq!(left.len(), 1);
        state.record(report("late", Outcome::Abandoned(AbandonReason::Deadline)));
        let report = state.start(None).expect_err("abandoned while waiting");
        assert_eq!(report.tasks().len(), 1);
        assert!(matches!(
            state.push(Task::sync(|| ())),
            Err((_, Refusal::Closed(Closed::Abandoned)))
        ));
    }

    #[test]
    #[should_panic(expected = "runs at most once, but this one already ran")]
    fn a_queue_starts_once() {
        let mut state = State::new(None, &Weak::new());
        state.start(None).unwrap();
        assert!(matches!(
            state.next(FailurePolicy::StopOnError),
            Next::Drained(Drained::Report(_))
        ));
        let _ = state.start(None);
    }
}
