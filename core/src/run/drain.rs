//! Draining a started queue: async tasks awaited in turn, runs of sync tasks on the blocking
//! pool, each outcome settled and booked; and [`RunGuard`], which reports whatever a dropped run
//! leaves behind.

use std::borrow::Cow;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tracing::Instrument;

use super::config::Config;
use crate::executor::{BoxFuture, Executor};
use crate::panic::{CatchUnwind, panic_message};
use crate::queue::BackgroundTasks;
use crate::queue::state::{Closed, Cut, Drained, Next};
use crate::report::{AbandonReason, RunReport, TaskReport, Timeout};
use crate::settle::{Cause, settle, settle_unrun};
use crate::task::{BoxError, Task, TaskKind};

/// Runs `tasks` to its end on `executor` under `config`.
pub(super) fn drive<'a, E: Executor + ?Sized>(
    tasks: BackgroundTasks,
    executor: &'a E,
    config: &'a Config,
) -> impl Future<Output = RunReport> + Send + 'a {
    // Made before the first poll: a run spawned on a runtime that shuts down before polling it
    // must not lose its queue in silence either.
    let guard = RunGuard::new(tasks, config);
    async move {
        let mut guard = guard;
        if let Err(report) = guard.start() {
            return report;
        }
        resume(&mut guard, executor).await
    }
}

/// What a run holds, and so what its drop must report.
enum Stage {
    /// Not started: only an untouched queue is this run's to abandon.
    Unstarted,
    /// Started: a drop abandons what is left, and cuts off the async task in flight, if any.
    Running,
    /// Ended, reported: nothing is left to do.
    Done,
}

/// A run of one queue: reports, if dropped before its end, every task it had not settled.
pub(super) struct RunGuard<'a> {
    tasks: BackgroundTasks,
    config: &'a Config,
    stage: Stage,
    /// The label of the async task being awaited, while it is: what a drop cuts off half-way.
    in_flight: Option<Cow<'static, str>>,
}

impl<'a> RunGuard<'a> {
    pub(super) fn new(tasks: BackgroundTasks, config: &'a Config) -> Self {
        Self {
            tasks,
            config,
            stage: Stage::Unstarted,
            in_flight: None,
        }
    }

    /// A guard for a queue already started elsewhere (its leading sync tasks ran on the blocking
    /// pool).
    pub(super) fn resumed(tasks: BackgroundTasks, config: &'a Config) -> Self {
        Self {
            tasks,
            config,
            stage: Stage::Running,
            in_flight: None,
        }
    }

    /// Starts the queue, or gives the report of one a shutdown deadline closed while it waited.
    ///
    /// # Panics
    ///
    /// If the queue already ran, is running, or was discarded.
    pub(super) fn start(&mut self) -> Result<(), RunReport> {
        let started = self.tasks.state().start(self.config.ledger());
        match started {
            Ok(()) => {
                // From here, dropping the run abandons what is left, loudly.
                self.stage = Stage::Running;
                Ok(())
            }
            Err(report) => {
                self.stage = Stage::Done;
                Err(report)
            }
        }
    }

    pub(super) fn tasks(&self) -> &BackgroundTasks {
        &self.tasks
    }

    /// The run ended and its report is taken: nothing for the drop to do.
    pub(super) fn done(&mut self) {
        self.stage = Stage::Done;
    }

    /// This run's part is over (the queue goes on elsewhere, or is drained): gives the queue back
    /// with nothing for a drop to report.
    pub(super) fn end(mut self) -> BackgroundTasks {
        self.done();
        self.tasks.clone()
    }

    /// The async task `label` is being awaited: a drop from here cuts it off and reports it.
    /// Gives the slot its label is taken back from once it ended.
    fn awaiting(&mut self, label: Cow<'static, str>) -> &mut Option<Cow<'static, str>> {
        debug_assert!(
            matches!(self.stage, Stage::Running),
            "awaiting before start"
        );
        self.in_flight = Some(label);
        &mut self.in_flight
    }
}

impl Drop for RunGuard<'_> {
    fn drop(&mut self) {
        match std::mem::replace(&mut self.stage, Stage::Done) {
            Stage::Done => {}
            Stage::Unstarted => {
                // Dropped before its first poll, or refusing a second run of a queue that someone
                // else runs: only an untouched queue is this run's to abandon.
                if self.tasks.state().is_untouched() {
                    abandon(&self.tasks, self.config, AbandonReason::DroppedBeforeStart);
                }
            }
            Stage::Running => {
                if let Some(label) = self.in_flight.take() {
                    let cause = Cause::Abandoned(AbandonReason::CancelledWhileRunning);
                    let kind = TaskKind::Async;
                    let request = self.tasks.state().request();
                    let hook = self.config.hook();
                    let (took, timeout) = (Duration::ZERO, None);
                    let report =
                        settle(hook, request.as_deref(), label, kind, cause, took, timeout);
                    self.tasks.state().record(report);
                }
                abandon(&self.tasks, self.config, AbandonReason::CancelledBefore);
            }
        }
    }
}

/// Runs a started queue to its end.
pub(super) async fn resume<E: Executor + ?Sized>(
    // Borrowed, not moved: the caller's future already holds the guard, and a future's size is
    // paid in copies on every spawn.
    guard: &mut RunGuard<'_>,
    executor: &E,
) -> RunReport {
    let (tasks, config) = (guard.tasks.clone(), guard.config);
    // The last async task's outcome, booked under the same lock that picks the next task: one
    // lock per task instead of two.
    let mut settled: Option<TaskReport> = None;
    loop {
        let (next, request) = {
            let mut state = tasks.state();
            if let Some(report) = settled.take() {
                state.record(report);
            }
            (state.next(config.policy), state.request())
        };
        match next {
            Next::Async { label, future } => {
                let span = tracing::info_span!("background_task", task = %label, kind = "async");
                let in_flight = guard.awaiting(label);
                let work = run_async(future, executor, config.task_timeout);
                // The error hook runs inside the task's span too, so its log line names the task.
                let report = async move {
                    let started = Instant::now();
                    let cause = work.await;
                    let label = in_flight.take().expect("set before the await");
                    let took = started.elapsed();
                    let request = request.as_deref();
                    let (hook, kind, timeout) =
                        (config.hook(), TaskKind::Async, config.task_timeout);
                    settle(hook, request, label, kind, cause, took, timeout)
                };
                // A span no subscriber wants costs an enter and exit per poll all the same.
                settled = Some(if span.is_disabled() {
                    report.await
                } else {
                    report.instrument(span).await
                });
            }
            Next::Sync => {
                let batch = {
                    let tasks = tasks.clone();
                    let config = config.clone();
                    // The pool thread has no span of its own: carry the queue's.
                    let span = tracing::Span::current();
                    Box::new(move || span.in_scope(|| run_sync_tasks(&tasks, &config)))
                };
                if let Err(error) = executor.spawn_blocking(batch).await {
                    // The batch takes its own tasks, so whatever it did not reach is still queued.
                    guard.done();
                    abandon(&tasks, config, AbandonReason::Executor(error));
                    return tasks.state().take_report();
                }
            }
            Next::Drained(drained) => {
                guard.done();
                return report_drained(&tasks, config, drained);
            }
        }
    }
}

/// The report of a queue with nothing left to run, settling the tasks a failure skipped.
pub(super) fn report_drained(
    tasks: &BackgroundTasks,
    config: &Config,
    drained: Drained,
) -> RunReport {
    match drained {
        Drained::Report(report) => report,
        Drained::Skipping(skipped) => {
            let reports: Vec<TaskReport> = skipped
                .into_iter()
                .map(|task| settle_unrun(config.hook(), None, task, Cause::Skipped))
                .collect();
            let mut state = tasks.state();
            for report in reports {
                state.record(report);
            }
            state.take_report()
        }
    }
}

/// An async task's work, raced against its timeout when it has one. Hand-written rather than an
/// `async fn`: it sits inside every spawned run, whose size is paid on each spawn.
struct RunAsync {
    work: CatchUnwind<BoxFuture<Result<(), BoxError>>>,
    timeout: Option<(Duration, BoxFuture<()>)>,
}

fn run_async<E: Executor + ?Sized>(
    future: BoxFuture<Result<(), BoxError>>,
    executor: &E,
    timeout: Option<Duration>,
) -> RunAsync {
    let timeout = timeout.map(|limit| {
        let timer = executor
            .sleep(limit)
            .expect("checked by Runner::task_timeout: the executor has a timer");
        (limit, timer)
    });
    RunAsync {
        work: CatchUnwind { future },
        timeout,
    }
}

impl Future for RunAsync {
    type Output = Cause;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Cause> {
        if let Poll::Ready(result) = Pin::new(&mut self.work).poll(cx) {
            return Poll::Ready(returned(result));
        }
        let Some((limit, timer)) = &mut self.timeout else {
            return Poll::Pending;
        };
        if timer.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        // The caller drops this future, and the task's with it: that is the cancellation.
        Poll::Ready(Cause::TimedOut(Timeout::Cancelled { timeout: *limit }))
    }
}

fn returned(result: Result<Result<(), BoxError>, String>) -> Cause {
    match result {
        Ok(returned) => Cause::Returned(returned),
        Err(message) => Cause::Panicked(message),
    }
}

/// Runs sync tasks from the front of the queue until an async task, the end, or a failure that
/// stops the queue. Runs on a blocking-pool thread: one trip for the whole run of sync tasks,
/// including sync tasks that these tasks add.
pub(super) fn run_sync_tasks(tasks: &BackgroundTasks, config: &Config) {
    let mut settled: Option<TaskReport> = None;
    loop {
        let (task, request) = {
            let mut state = tasks.state();
            if let Some(report) = settled.take() {
                state.record(report);
            }
            match state.next_sync(config.policy) {
                Some(task) => (task, state.request()),
                None => return,
            }
        };
        let (label, work) = task;
        let span = tracing::info_span!("background_task", task = %label, kind = "sync");
        let _entered = span.enter();
        let started = Instant::now();
        let cause =
            returned(catch_unwind(AssertUnwindSafe(work)).map_err(|p| panic_message(p.as_ref())));
        let took = started.elapsed();
        let request = request.as_deref();
        settled = Some(settle(
            config.hook(),
            request,
            label,
            TaskKind::Sync,
            cause,
            took,
            config.task_timeout,
        ));
    }
}

/// Closes the queue as abandoned, settling every task still waiting with `reason`.
pub(super) fn abandon(tasks: &BackgroundTasks, config: &Config, reason: AbandonReason) {
    let left = tasks.state().close(Closed::Abandoned);
    settle_abandoned(tasks, config, left, reason, Book::Now);
}

/// A shutdown deadline passed: abandons what `tasks` has not started. Returns how many tasks that
/// was, and what the deadline cut (`None`: the queue had already ended).
pub(super) fn cut_for_shutdown(tasks: &BackgroundTasks, config: &Config) -> (usize, Option<Cut>) {
    let Some((cut, left)) = tasks.state().cut_for_shutdown() else {
        return (0, None);
    };
    let count = left.len();
    let book = match cut {
        Cut::Waiting => Book::Now,
        Cut::Running => Book::AfterCurrentTask,
    };
    settle_abandoned(tasks, config, left, AbandonReason::Deadline, book);
    (count, Some(cut))
}

/// Where abandoned tasks go in the report.
#[derive(Clone, Copy)]
enum Book {
    Now,
    /// After the task still running, which reports later.
    AfterCurrentTask,
}

/// Settles `left` as abandoned (outside the lock), then books them as `book` says.
fn settle_abandoned(
    tasks: &BackgroundTasks,
    config: &Config,
    left: Vec<Task>,
    reason: AbandonReason,
    book: Book,
) {
    if left.is_empty() {
        return;
    }
    let request = tasks.state().request();
    let reports: Vec<TaskReport> = left
        .into_iter()
        .map(|task| {
            let cause = Cause::Abandoned(reason.clone());
            settle_unrun(config.hook(), request.as_deref(), task, cause)
        })
        .collect();
    let mut state = tasks.state();
    for report in reports {
        match book {
            Book::Now => state.record(report),
            Book::AfterCurrentTask => state.record_after_current(report),
        }
    }
}
