//! What a [`Runner`](crate::Runner) knows about the queues it was given: counters ([`Metrics`]),
//! the queues running or waiting (for [`shutdown`](crate::Runner::shutdown)), and the limit on
//! how many run at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use async_lock::Semaphore;
use event_listener::Event;
use parking_lot::Mutex;

use crate::queue::BackgroundTasks;
use crate::report::Outcome;

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

#[derive(Debug, Default)]
pub(crate) struct Counters {
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
}

impl Counters {
    pub(crate) fn queued(&self, tasks: usize) {
        self.queued.fetch_add(tasks as u64, Ordering::Relaxed);
    }

    pub(crate) fn settled(&self, outcome: &Outcome, tasks: usize) {
        let counter = match outcome {
            Outcome::Succeeded => &self.succeeded,
            Outcome::Failed(_) => &self.failed,
            Outcome::Panicked(_) => &self.panicked,
            Outcome::Skipped => &self.skipped,
            Outcome::TimedOut(_) => &self.timed_out,
            Outcome::Discarded => &self.discarded,
            Outcome::Abandoned(_) => &self.abandoned,
        };
        counter.fetch_add(tasks as u64, Ordering::Relaxed);
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

/// Shared by a runner and its clones, and attached to every queue they run.
#[derive(Debug)]
pub(crate) struct Lifecycle {
    pub(crate) counters: Counters,
    closed: AtomicBool,
    // Queues spawned and not yet ended, so that a shutdown can find what its deadline cut off.
    active: Mutex<Active>,
    // Notified whenever a spawned queue ends.
    ended: Event,
    pub(crate) limit: Option<Arc<Semaphore>>,
}

/// The queues spawned and not yet ended, in slots that ended queues free for later ones: a
/// register and an end are a push and a pop, with no hashing, under one short lock.
#[derive(Debug, Default)]
struct Active {
    queues: Vec<Option<BackgroundTasks>>,
    free: Vec<usize>,
    len: usize,
    // `idle` futures waiting for `len` to reach zero. Read and written under the same lock as
    // `len`, so an end never misses a waiter that found the registry busy.
    idle_waiters: usize,
}

impl Active {
    fn insert(&mut self, tasks: BackgroundTasks) -> usize {
        self.len += 1;
        match self.free.pop() {
            Some(id) => {
                self.queues[id] = Some(tasks);
                id
            }
            None => {
                self.queues.push(Some(tasks));
                self.queues.len() - 1
            }
        }
    }

    fn remove(&mut self, id: usize) -> Option<BackgroundTasks> {
        let tasks = self.queues[id].take();
        if tasks.is_some() {
            self.free.push(id);
            self.len -= 1;
        }
        tasks
    }
}

impl Lifecycle {
    pub(crate) fn new(max_running: Option<usize>) -> Self {
        Self {
            counters: Counters::default(),
            closed: AtomicBool::new(false),
            active: Mutex::default(),
            ended: Event::new(),
            limit: max_running.map(|n| Arc::new(Semaphore::new(n))),
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
    }

    /// Registers a spawned queue as waiting; the id deregisters it.
    pub(crate) fn register(&self, tasks: &BackgroundTasks) -> usize {
        self.counters.waiting.fetch_add(1, Ordering::Relaxed);
        self.active.lock().insert(tasks.clone())
    }

    pub(crate) fn started(&self) {
        self.counters.waiting.fetch_sub(1, Ordering::Relaxed);
        self.counters.running.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn ended(&self, id: usize, started: bool) {
        let counter = if started {
            &self.counters.running
        } else {
            &self.counters.waiting
        };
        counter.fetch_sub(1, Ordering::Relaxed);
        let mut active = self.active.lock();
        // Dropped after the lock: it may be the queue's last handle.
        let _tasks = active.remove(id);
        // Only `idle` listens, and only for the last queue ending.
        let wake = active.len == 0 && active.idle_waiters > 0;
        drop(active);
        if wake {
            self.ended.notify(usize::MAX);
        }
    }

    /// Resolves once no spawned queue is waiting or running.
    pub(crate) async fn idle(&self) {
        loop {
            // Listen before checking, so an end between the check and the wait is not missed.
            let listener = self.ended.listen();
            {
                let mut active = self.active.lock();
                if active.len == 0 {
                    return;
                }
                active.idle_waiters += 1;
            }
            let _waiting = IdleWaiter(self);
            listener.await;
        }
    }

    /// The queues spawned and not yet ended.
    pub(crate) fn active(&self) -> Vec<BackgroundTasks> {
        self.active
            .lock()
            .queues
            .iter()
            .flatten()
            .cloned()
            .collect()
    }
}

/// Counts an `idle` future as waiting until it wakes or is dropped.
struct IdleWaiter<'a>(&'a Lifecycle);

impl Drop for IdleWaiter<'_> {
    fn drop(&mut self) {
        self.0.active.lock().idle_waiters -= 1;
    }
}

/// What [`Runner::shutdown`](crate::Runner::shutdown) found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ShutdownReport {
    /// The runner's counters once the shutdown returned: what finished, failed, panicked, was
    /// skipped, timed out, discarded or abandoned over the runner's life.
    pub metrics: Metrics,
    /// Whether the deadline passed before every queue ended.
    pub deadline_passed: bool,
    /// Tasks that had not started when the deadline passed: reported as
    /// [`Outcome::Abandoned`] to the error hook, and counted in `metrics.abandoned`.
    pub abandoned_at_deadline: u64,
    /// Queues whose current task was still running when the deadline passed. A sync task cannot
    /// be cancelled; an async one is left to finish on the executor. Their later outcomes still
    /// reach the error hook and the counters.
    pub still_running: usize,
}

impl ShutdownReport {
    /// Whether everything queued ran to an outcome before the deadline.
    pub fn is_complete(&self) -> bool {
        !self.deadline_passed
    }
}
