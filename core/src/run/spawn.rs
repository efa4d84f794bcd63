//! Spawning a queue: [`Spawned`], its place in the runner's books (given back however the run
//! ends), and its two starts: on an async task, or straight on the blocking pool when it begins
//! with sync work.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use async_lock::Semaphore;
use tracing::Instrument;

use super::Runner;
use super::drain::{RunGuard, abandon, report_drained, resume, run_sync_tasks};
use crate::executor::{BoxFuture, Executor};
use crate::queue::BackgroundTasks;
use crate::queue::state::Lead;
use crate::report::{AbandonReason, RunReport};

/// Runs `tasks` as its own task on the runner's executor, then hands the report to `on_done`.
pub(super) fn spawn<E, F>(runner: &Runner<E>, tasks: BackgroundTasks, lead: Lead, on_done: F)
where
    E: Executor + Clone,
    F: FnOnce(RunReport) + Send + 'static,
{
    let lifecycle = runner.lifecycle();
    if lifecycle.ledger().is_closed() {
        abandon(&tasks, &runner.config, AbandonReason::ShuttingDown);
        let report = tasks.state().take_report();
        on_done(report);
        return;
    }
    // Made outside the spawned future or job, so that a runtime dropping it unrun still settles
    // the queue and the books, and still delivers a report.
    let spawned = Spawned {
        id: lifecycle.register(&tasks),
        runner: runner.clone(),
        holds: Holds::Waiting(tasks),
        on_done: Some(on_done),
    };
    // The run carries the caller's span, so task spans nest under the request's.
    let span = tracing::Span::current();
    // A queue that starts with sync work starts on the blocking pool: one hand-off, not two,
    // and through the lane, which lets queues that arrive together share a pool job. Under a
    // limit it must wait for its turn like the others, which takes an async task.
    let limit = runner.config.limit.clone();
    if lead == Lead::Sync && limit.is_none() {
        let job = move || span.in_scope(|| spawned.start_on_blocking_pool(span.clone()));
        lifecycle.lane().submit(&runner.executor, Box::new(job));
        return;
    }
    // The guard's own futures, not async blocks around them: a block would hold it twice. The
    // size of a spawned run matters (see BENCHMARKS.md).
    let run: BoxFuture<()> = match limit {
        None if span.is_disabled() => Box::pin(spawned.run()),
        None => Box::pin(spawned.run().instrument(span)),
        Some(limit) => Box::pin(spawned.run_when_permitted(limit).instrument(span)),
    };
    runner.executor.spawn(run);
}

/// What a spawned queue's guard holds, and so what its drop must report.
enum Holds {
    /// The queue, not started: waiting for the executor, or for a turn under `max_running`.
    Waiting(BackgroundTasks),
    /// Nothing: a run has the queue and its own guard.
    Running,
    /// The queue, between its sync start on the blocking pool and its async continuation.
    HandingOver(BackgroundTasks),
}

/// A spawned queue's place in its runner's books, given back however the run ends: if the
/// executor drops the run while this holds the queue, the queue is reported, not lost.
struct Spawned<E: Executor, F: FnOnce(RunReport)> {
    id: usize,
    runner: Runner<E>,
    holds: Holds,
    on_done: Option<F>,
}

impl<E: Executor + Clone, F: FnOnce(RunReport) + Send + 'static> Spawned<E, F> {
    fn start(&mut self) -> BackgroundTasks {
        match std::mem::replace(&mut self.holds, Holds::Running) {
            Holds::Waiting(tasks) => {
                self.runner.lifecycle().ledger().started();
                tasks
            }
            Holds::HandingOver(tasks) => tasks,
            Holds::Running => unreachable!("a queue starts once"),
        }
    }

    // Reported before the queue counts as ended (at the guard's drop), so that `idle` implies
    // reports delivered.
    fn done(&mut self, report: RunReport) {
        if let Some(on_done) = self.on_done.take() {
            on_done(report);
        }
    }

    async fn run_when_permitted(self, limit: Arc<Semaphore>) {
        let _permit = limit.acquire_arc().await;
        self.run().await;
    }

    async fn run(mut self) {
        let tasks = self.start();
        let report = self.runner.run(tasks).await;
        self.done(report);
    }

    /// Runs the queue's leading sync tasks on this blocking-pool thread, then either finishes the
    /// queue here or, if async tasks follow, hands it to an async task.
    fn start_on_blocking_pool(mut self, span: tracing::Span) {
        let tasks = self.start();
        let config = &self.runner.config;
        let mut guard = RunGuard::new(tasks, config);
        if let Err(report) = guard.start() {
            drop(guard);
            return self.done(report);
        }
        run_sync_tasks(guard.tasks(), config);
        let drained = guard.tasks().state().drain_if_done(config.policy);
        let tasks = guard.tasks().clone();
        guard.done();
        drop(guard);
        match drained {
            Some(drained) => {
                let report = report_drained(&tasks, config, drained);
                self.done(report);
            }
            None => self.hand_over(tasks, span),
        }
    }

    /// Moves a started queue from the blocking pool to an async task: held by this guard until
    /// the continuation's own takes it.
    fn hand_over(mut self, tasks: BackgroundTasks, span: tracing::Span) {
        self.holds = Holds::HandingOver(tasks);
        let executor = self.runner.executor.clone();
        let resumed = async move {
            let tasks = self.start();
            let config = &self.runner.config;
            let mut guard = RunGuard::resumed(tasks, config);
            let report = resume(&mut guard, &self.runner.executor).await;
            drop(guard);
            self.done(report);
        };
        executor.spawn(Box::pin(resumed.instrument(span)));
    }
}

impl<E: Executor, F: FnOnce(RunReport)> Drop for Spawned<E, F> {
    fn drop(&mut self) {
        let started = match std::mem::replace(&mut self.holds, Holds::Running) {
            Holds::Running => true,
            Holds::Waiting(tasks) => {
                if tasks.state().is_untouched() {
                    let reason = AbandonReason::DroppedBeforeStart;
                    abandon(&tasks, &self.runner.config, reason);
                }
                self.deliver(&tasks);
                false
            }
            Holds::HandingOver(tasks) => {
                let reason = AbandonReason::DroppedBeforeResume;
                abandon(&tasks, &self.runner.config, reason);
                self.deliver(&tasks);
                true
            }
        };
        self.runner.lifecycle().ended(self.id, started);
    }
}

impl<E: Executor, F: FnOnce(RunReport)> Spawned<E, F> {
    /// Hands the report of a run that never got to do so to `on_done`.
    fn deliver(&mut self, tasks: &BackgroundTasks) {
        if let Some(on_done) = self.on_done.take() {
            let report = tasks.state().take_report();
            // A panicking report hook must not skip the books.
            let _ = catch_unwind(AssertUnwindSafe(|| on_done(report)));
        }
    }
}
