//! [`Metrics`]: a runner's counters, and the books behind them.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use event_listener::{Event, EventListener};

use crate::report::{Outcome, TaskReport};

/// A snapshot of a runner's counters, cheap to take at any time.
///
/// `waiting` and `running` count queues now; the others count tasks since the runner was built.
/// Once every queue has ended, `queued` equals the sum of the outcome counters: every task queued
/// is accounted for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Metrics {
    /// Tasks added to queues this runner runs (or was given to run).
    pub queued: u64,
    /// Queues handed to [`Runner::spawn`](crate::Runner::spawn) still waiting for a slot under
    /// [`max_running`](crate::Runner::max_running).
    pub waiting: u64,
    /// Queues running now.
    pub running: u64,
    /// Tasks that succeeded.
    pub succeeded: u64,
    /// Tasks that returned an error.
    pub failed: u64,
    /// Tasks that panicked.
    pub panicked: u64,
    /// Tasks skipped after an earlier failure in their queue.
    pub skipped: u64,
    /// Tasks that overran their timeout.
    pub timed_out: u64,
    /// Tasks discarded with their queue (handler panicked, or a setting skipped the queue).
    pub discarded: u64,
    /// Tasks abandoned: refused during shutdown, cut off by its deadline, or lost by the executor.
    pub abandoned: u64,
}

impl Metrics {
    /// How many tasks have an outcome: the sum of every outcome counter.
    pub fn settled(&self) -> u64 {
        self.succeeded
            + self.failed
            + self.panicked
            + self.skipped
            + self.timed_out
            + self.discarded
            + self.abandoned
    }
}

/// A runner's books, shared by the runner, its clones and every queue counted in them: the
/// counters behind [`Metrics`], and whether the runner is shutting down (which a queue that has
/// not started must know, to refuse new tasks).
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    closed: AtomicBool,
    queued: AtomicU64,
    waiting: AtomicU64,
    running: AtomicU64,
    succeeded: AtomicU64,
    failed: AtomicU64,
    panicked: AtomicU64,
    skipped: AtomicU64,
    timed_out: AtomicU64,
    discarded: AtomicU64,
    abandoned: AtomicU64,
    // `Runner::idle` futures watching for the books to balance, and how they are woken.
    watchers: AtomicUsize,
    changed: Event,
    // The runner's observer, set once by `Runner::observe` (feature `status`).
    #[cfg(feature = "status")]
    observer: std::sync::OnceLock<crate::status::Observer>,
}

/// A spawned queue counted as waiting in its runner's books, until [`start`](Self::start)ed or
/// dropped: the count is given back however the queue's run ends.
#[derive(Debug)]
pub(crate) struct Waiting(Option<Arc<Ledger>>);

impl Waiting {
    /// The queue starts running: counted as running instead, until the returned token drops.
    pub(crate) fn start(mut self) -> Running {
        let ledger = self.0.take().expect("a waiting token starts once");
        ledger.waiting.fetch_sub(1, Ordering::Relaxed);
        ledger.running.fetch_add(1, Ordering::Relaxed);
        facade::waiting(-1.0);
        facade::running(1.0);
        Running(ledger)
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        if let Some(ledger) = self.0.take() {
            ledger.waiting.fetch_sub(1, Ordering::Relaxed);
            facade::waiting(-1.0);
        }
    }
}

/// A spawned queue counted as running in its runner's books until this drops.
#[derive(Debug)]
pub(crate) struct Running(Arc<Ledger>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.running.fetch_sub(1, Ordering::Relaxed);
        facade::running(-1.0);
    }
}

impl Ledger {
    /// The runner's observer, if it has one.
    #[cfg(feature = "status")]
    pub(crate) fn observer(&self) -> Option<&crate::status::Observer> {
        self.observer.get()
    }

    /// Gives the runner `observer`; `false` if it already has one.
    #[cfg(feature = "status")]
    pub(crate) fn observe(&self, observer: crate::status::Observer) -> bool {
        self.observer.set(observer).is_ok()
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
    }

    pub(crate) fn queued(&self, tasks: usize) {
        // SeqCst here and in `settled`, so that `outstanding` never sees an outcome before the
        // task's queueing (free on x86: an RMW is a locked instruction either way).
        self.queued.fetch_add(tasks as u64, Ordering::SeqCst);
        facade::queued(tasks);
    }

    /// A spawned queue starts waiting for its turn: counted as waiting until the token is
    /// started (then as running) or dropped.
    pub(crate) fn waiting(self: &Arc<Self>) -> Waiting {
        self.waiting.fetch_add(1, Ordering::Relaxed);
        facade::waiting(1.0);
        Waiting(Some(Arc::clone(self)))
    }

    /// Counts a settled task.
    pub(crate) fn settled(&self, report: &TaskReport) {
        let counter = match &report.outcome {
            Outcome::Succeeded => &self.succeeded,
            Outcome::Failed(_) => &self.failed,
            Outcome::Panicked(_) => &self.panicked,
            Outcome::Skipped => &self.skipped,
            Outcome::TimedOut(_) => &self.timed_out,
            Outcome::Discarded => &self.discarded,
            Outcome::Abandoned(_) => &self.abandoned,
        };
        counter.fetch_add(1, Ordering::SeqCst);
        facade::settled(report);
        self.changed();
    }

    /// Tasks queued and not settled: waiting in a queue that has not been handed over yet (its
    /// response is still being sent), waiting for their turn, or running.
    pub(crate) fn outstanding(&self) -> u64 {
        // Outcomes first: every one read was queued before, so the difference is never negative.
        let load = |counter: &AtomicU64| counter.load(Ordering::SeqCst);
        let settled = [
            &self.succeeded,
            &self.failed,
            &self.panicked,
            &self.skipped,
            &self.timed_out,
            &self.discarded,
            &self.abandoned,
        ]
        .map(load)
        .iter()
        .sum::<u64>();
        load(&self.queued) - settled
    }

    /// Wakes the `idle` futures watching, if any: the books may balance now.
    pub(crate) fn changed(&self) {
        if self.watchers.load(Ordering::SeqCst) > 0 {
            self.changed.notify(usize::MAX);
        }
    }

    /// Watches the books: the listener wakes at the next change after this call, and changes are
    /// announced only while a watch is held.
    pub(crate) fn watch(&self) -> (Watch<'_>, EventListener) {
        self.watchers.fetch_add(1, Ordering::SeqCst);
        (Watch(self), self.changed.listen())
    }

    pub(crate) fn snapshot(&self) -> Metrics {
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        Metrics {
            queued: load(&self.queued),
            waiting: load(&self.waiting),
            running: load(&self.running),
            succeeded: load(&self.succeeded),
            failed: load(&self.failed),
            panicked: load(&self.panicked),
            skipped: load(&self.skipped),
            timed_out: load(&self.timed_out),
            discarded: load(&self.discarded),
            abandoned: load(&self.abandoned),
        }
    }
}

/// An `idle` future's watch on the books, held while it waits.
pub(crate) struct Watch<'a>(&'a Ledger);

impl Drop for Watch<'_> {
    fn drop(&mut self) {
        self.0.watchers.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The same books, reported to the `metrics` facade (feature `metrics`) so that any exporter sees
/// them; nothing without the feature.
#[cfg(feature = "metrics")]
mod facade {
    use crate::report::{Outcome, TaskReport};

    pub(super) fn queued(tasks: usize) {
        metrics::counter!("background_tasks_queued_total").increment(tasks as u64);
    }

    pub(super) fn waiting(change: f64) {
        metrics::gauge!("background_tasks_waiting_queues").increment(change);
    }

    pub(super) fn running(change: f64) {
        metrics::gauge!("background_tasks_running_queues").increment(change);
    }

    pub(super) fn settled(report: &TaskReport) {
        let (outcome, ran) = match &report.outcome {
            Outcome::Succeeded => ("succeeded", true),
            Outcome::Failed(_) => ("failed", true),
            Outcome::Panicked(_) => ("panicked", true),
            Outcome::TimedOut(_) => ("timed_out", true),
            Outcome::Skipped => ("skipped", false),
            Outcome::Discarded => ("discarded", false),
            Outcome::Abandoned(_) => ("abandoned", false),
        };
        metrics::counter!("background_tasks_settled_total", "outcome" => outcome).increment(1);
        if ran {
            metrics::histogram!(
                "background_tasks_task_duration_seconds",
                "task" => report.label.clone(),
                "kind" => report.kind.as_str(),
            )
            .record(report.duration.as_secs_f64());
        }
    }
}

#[cfg(not(feature = "metrics"))]
mod facade {
    use crate::report::TaskReport;

    pub(super) fn queued(_: usize) {}
    pub(super) fn waiting(_: f64) {}
    pub(super) fn running(_: f64) {}
    pub(super) fn settled(_: &TaskReport) {}
}
