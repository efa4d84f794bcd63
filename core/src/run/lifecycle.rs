//! [`Lifecycle`]: what a runner knows of the queues it spawned: which are waiting or running
//! (for `idle` and `shutdown`), and its books.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use event_listener::Event;
use parking_lot::Mutex;

use crate::metrics::{Ledger, Metrics, Waiting};
use crate::queue::BackgroundTasks;

use super::lane::Lane;

/// Shared by a runner and its clones, and attached to every queue they run.
#[derive(Debug)]
pub(super) struct Lifecycle {
    // Also held by every queue counted in it.
    ledger: Arc<Ledger>,
    // Queues spawned and not yet ended, so that a shutdown can find what its deadline cut off.
    active: Mutex<Active>,
    // Set, and notified, when a shutdown's deadline passes.
    deadline_passed: AtomicBool,
    deadline: Event,
    // How the queues that start with sync work reach the blocking pool.
    lane: Arc<Lane>,
}

/// The queues spawned and not yet ended, in slots that ended queues free for later ones: a
/// register and an end are a push and a pop, with no hashing, under one short lock.
#[derive(Debug, Default)]
struct Active {
    queues: Vec<Option<BackgroundTasks>>,
    free: Vec<usize>,
    len: usize,
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
    pub(super) fn new() -> Self {
        Self {
            ledger: Arc::default(),
            active: Mutex::default(),
            deadline_passed: AtomicBool::new(false),
            deadline: Event::new(),
            lane: Arc::default(),
        }
    }

    /// How the queues that start with sync work reach the blocking pool.
    pub(super) fn lane(&self) -> &Arc<Lane> {
        &self.lane
    }

    /// A shutdown's deadline passed: tells every task that waits for it.
    pub(super) fn deadline_passed(&self) {
        self.deadline_passed.store(true, Ordering::Release);
        self.deadline.notify(usize::MAX);
    }

    pub(super) fn ledger(&self) -> &Arc<Ledger> {
        &self.ledger
    }

    /// Registers a spawned queue, counted as waiting while the token lives; the id deregisters
    /// it.
    pub(super) fn register(&self, tasks: &BackgroundTasks) -> (usize, Waiting) {
        let waiting = self.ledger.waiting();
        (self.active.lock().insert(tasks.clone()), waiting)
    }

    /// Deregisters a spawned queue that ended (its books' token dropped first).
    pub(super) fn ended(&self, id: usize) {
        let mut active = self.active.lock();
        // Dropped after the lock: it may be the queue's last handle.
        let _tasks = active.remove(id);
        let last = active.len == 0;
        drop(active);
        // Only `idle` listens, and only for the last queue ending.
        if last {
            self.ledger.changed();
        }
    }

    /// Resolves once no spawned queue is waiting or running and, with [`Idle::Settled`], every
    /// task counted in the books has an outcome: queues whose response is still being sent (not
    /// handed over yet) are waited for too.
    pub(super) async fn idle(&self, idle: Idle) {
        loop {
            // Watch before checking, so a change between the check and the wait is not missed.
            let (_watch, changed) = self.ledger.watch();
            let settled = match idle {
                Idle::Settled => self.ledger.outstanding() == 0,
                Idle::Spawned => true,
            };
            if settled && self.active.lock().len == 0 {
                return;
            }
            changed.await;
        }
    }

    /// The queues spawned and not yet ended.
    pub(super) fn active(&self) -> Vec<BackgroundTasks> {
        self.active
            .lock()
            .queues
            .iter()
            .flatten()
            .cloned()
            .collect()
    }
}

/// What an `idle` wait waits for.
#[derive(Debug, Clone, Copy)]
pub(super) enum Idle {
    /// The queues handed to `spawn`: what a shutdown drains (the server has handed every queue
    /// over by then; one never handed over is its owner's to run or drop).
    Spawned,
    /// Those, and every task counted in the books: what `Runner::idle` promises a test.
    Settled,
}

/// What [`Runner::shutdown`](super::Runner::shutdown) found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ShutdownReport {
    /// The runner's counters once the shutdown returned: what finished, failed, panicked, was
    /// skipped, timed out, discarded or abandoned over the runner's life.
    pub metrics: Metrics,
    /// Whether the deadline passed before every queue ended.
    pub deadline_passed: bool,
    /// Tasks that had not started when the deadline passed: reported as
    /// [`Outcome::Abandoned`](crate::Outcome::Abandoned) to the error hook, and counted in `metrics.abandoned`.
    pub abandoned_at_deadline: u64,
    /// Queues whose current task was still running when the deadline passed. A sync task cannot
    /// be cancelled; an async one is left to finish on the executor. Their later outcomes still
    /// reach the error hook and the counters.
    pub still_running: u64,
}

impl ShutdownReport {
    /// Whether everything queued ran to an outcome before the deadline.
    pub fn is_complete(&self) -> bool {
        !self.deadline_passed
    }
}

/// Tells async tasks that a shutdown's deadline has passed, so that they can stop cooperatively
/// (save their progress, return early) instead of being counted as still running. Get one with
/// [`Runner::deadline`](super::Runner::deadline) and move it into the task.
///
/// # Examples
///
/// ```no_run
/// # async fn demo(runner: background_tasks::Runner<impl background_tasks::Executor + Clone>,
/// #               tasks: background_tasks::BackgroundTasks) {
/// let deadline = runner.deadline();
/// tasks.add_async_task(async move {
///     for _chunk in 0..1_000 {
///         if deadline.is_passed() {
///             return Err("stopped at the shutdown deadline; resumes from its checkpoint");
///         }
///         // ... one chunk of work, then a checkpoint ...
///     }
///     Ok(())
/// });
/// # }
/// ```
///
/// Or race the work against [`passed`](Self::passed), which resolves when the deadline passes.
#[derive(Clone)]
pub struct ShutdownDeadline {
    lifecycle: Arc<Lifecycle>,
}

impl ShutdownDeadline {
    pub(super) fn new(lifecycle: Arc<Lifecycle>) -> Self {
        Self { lifecycle }
    }

    /// Whether the deadline of a [`shutdown`](super::Runner::shutdown) has passed.
    pub fn is_passed(&self) -> bool {
        self.lifecycle.deadline_passed.load(Ordering::Acquire)
    }

    /// Resolves once the deadline of a [`shutdown`](super::Runner::shutdown) has passed; never
    /// if every queue ends before it.
    pub fn passed(&self) -> impl Future<Output = ()> + Send + 'static {
        let lifecycle = Arc::clone(&self.lifecycle);
        async move {
            loop {
                // Listen before checking, so a deadline between the two is not missed.
                let listener = lifecycle.deadline.listen();
                if lifecycle.deadline_passed.load(Ordering::Acquire) {
                    return;
                }
                listener.await;
            }
        }
    }
}

impl fmt::Debug for ShutdownDeadline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShutdownDeadline")
            .field("passed", &self.is_passed())
            .finish()
    }
}
