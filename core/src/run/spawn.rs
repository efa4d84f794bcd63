//! Spawning a queue: [`Spawned`], its place in the runner's books (given back however the run
//! ends), and its two starts: on an async task, or straight on the blocking pool when it begins
//! with sync work.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use async_lock::Semaphore;
use tracing::Instrument;

use super::config::Config;
use super::drain::{self, RunGuard, abandon, report_drained, resume, run_sync_tasks};
use crate::executor::{BoxFuture, Executor};
use crate::metrics::{Running, Waiting};
use crate::queue::BackgroundTasks;
use crate::queue::state::Lead;
use crate::report::{AbandonReason, RunReport};

/// Runs `tasks` as its own task on `executor`, under `config` (a runner's: it has a lifecycle),
/// then hands the report to `on_done`.
pub(super) fn spawn<E, F>(
    executor: &E,
    config: &Arc<Config>,
    tasks: BackgroundTasks,
    lead: Lead,
    on_done: F,
) where
    E: Executor + Clone,
    F: FnOnce(RunReport) + Send + 'static,
{
    let lifecycle = config.lifecycle();
    if lifecycle.ledger().is_closed() {
        abandon(&tasks, config, AbandonReason::ShuttingDown);
        let report = tasks.state().take_report();
        on_done(report);
        return;
    }
    // Made outside the spawned future or job, so that a runtime dropping it unrun still settles
    // the queue and the books, and still delivers a report.
    let (id, waiting) = lifecycle.register(&tasks);
    let spawned = Spawned {
        id,
        executor: executor.clone(),
        config: Arc::clone(config),
        holds: Holds::Waiting(tasks, waiting),
        on_done: Some(on_done),
    };
    // The run carries the caller's span, so task spans nest under the request's.
    let span = tracing::Span::current();
    // A queue that starts with sync work starts on the blocking pool: one hand-off, not two,
    // and through the lane, which lets queues that arrive together share a pool job. Under a
    // limit it must wait for its turn like the others, which takes an async task.
    let limit = config.limit.clone();
    if lead == Lead::Sync && limit.is_none() {
        let job = move || span.in_scope(|| spawned.start_on_blocking_pool(span.clone()));
        lifecycle.lane().submit(executor, Box::new(job));
        return;
    }
    // The guard's own futures, not async blocks around them: a block would hold it twice. The
    // size of a spawned run matters (see BENCHMARKS.md).
    let run: BoxFuture<()> = match limit {
        None if span.is_disabled() => Box::pin(spawned.run()),
        None => Box::pin(spawned.run().instrument(span)),
        Some(limit) => Box::pin(spawned.run_when_permitted(limit).instrument(span)),
    };
    executor.spawn(run);
}

/// What a spawned queue's guard holds, and so what its drop must report and give back.
enum Holds {
    /// The queue, not started: waiting for the executor, or for a turn under `max_running`.
    Waiting(BackgroundTasks, Waiting),
    /// Its place among the running queues: a run has the queue and its own guard.
    Running(Running),
    /// The queue, between its sync start on the blocking pool and its async continuation.
    HandingOver(BackgroundTasks, Running),
    /// Nothing: given back.
    Ended,
}

/// A spawned queue's place in its runner's books, given back however the run ends: if the
/// executor drops the run while this holds the queue, the queue is reported, not lost.
struct Spawned<E: Executor, F: FnOnce(RunReport)> {
    id: usize,
    executor: E,
    config: Arc<Config>,
    holds: Holds,
    on_done: Option<F>,
}

impl<E: Executor + Clone, F: FnOnce(RunReport) + Send + 'static> Spawned<E, F> {
    fn start(&mut self) -> BackgroundTasks {
        let (tasks, running) = match std::mem::replace(&mut self.holds, Holds::Ended) {
            Holds::Waiting(tasks, waiting) => (tasks, waiting.start()),
            Holds::HandingOver(tasks, running) => (tasks, running),
            Holds::Running(_) | Holds::Ended => unreachable!("a queue starts once"),
        };
        self.holds = Holds::Running(running);
        tasks
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
        let report = drain::drive(tasks, &self.executor, &self.config).await;
        self.done(report);
    }

    /// Runs the queue's leading sync tasks on this blocking-pool thread, then either finishes the
    /// queue here or, if async tasks follow, hands it to an async task.
    fn start_on_blocking_pool(mut self, span: tracing::Span) {
        let tasks = self.start();
        let config = &self.config;
        let mut guard = RunGuard::new(tasks, config);
        if let Err(report) = guard.start() {
            drop(guard);
            return self.done(report);
        }
        run_sync_tasks(guard.tasks(), config);
        let drained = guard.tasks().state().drain_if_done(config.policy);
        let tasks = guard.end();
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
        let Holds::Running(running) = std::mem::replace(&mut self.holds, Holds::Ended) else {
            unreachable!("handed over from its start on the pool, which made it running")
        };
        self.holds = Holds::HandingOver(tasks, running);
        let executor = self.executor.clone();
        let resumed = async move {
            let tasks = self.start();
            let mut guard = RunGuard::resumed(tasks, &self.config);
            let report = resume(&mut guard, &self.executor).await;
            drop(guard);
            self.done(report);
        };
        executor.spawn(Box::pin(resumed.instrument(span)));
    }
}

impl<E: Executor, F: FnOnce(RunReport)> Drop for Spawned<E, F> {
    fn drop(&mut self) {
        match std::mem::replace(&mut self.holds, Holds::Ended) {
            Holds::Running(running) => drop(running),
            Holds::Waiting(tasks, waiting) => {
                if tasks.state().is_untouched() {
                    let reason = AbandonReason::DroppedBeforeStart;
                    abandon(&tasks, &self.config, reason);
                }
                self.deliver(&tasks);
                drop(waiting);
            }
            Holds::HandingOver(tasks, running) => {
                let reason = AbandonReason::DroppedBeforeResume;
                abandon(&tasks, &self.config, reason);
                self.deliver(&tasks);
                drop(running);
            }
            Holds::Ended => {}
        }
        // The books' token is given back above, before `idle` can hear that the last queue ended.
        self.config.lifecycle().ended(self.id);
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
