//! [`Counters`] kept by a benchmarked server, their [`Stats`] snapshot, and the [`Counting`]
//! executor wrapper.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use background_tasks::{BackgroundTasks, BlockingError, BlockingJob, BoxFuture, Executor, Metrics};

/// What a benchmarked server counts, the same way in every [`Scenario`](crate::Scenario).
///
/// All counters are relaxed atomics: one `fetch_add` each, on a server pinned to one core.
#[derive(Debug, Default)]
pub struct Counters {
    /// Requests to `/` the handler has seen.
    pub requests: AtomicU64,
    /// Trivial tasks the handlers asked for (queued, or spawned by hand).
    pub queued: AtomicU64,
    /// Trivial tasks that have run.
    pub completed: AtomicU64,
    /// Futures spawned: by the layer's runner (through [`Counting`]) or by a hand-written handler.
    pub spawns: AtomicU64,
    /// Jobs sent to a blocking pool: by the runner (through [`Counting`]) or by hand.
    pub blocking_trips: AtomicU64,
    /// The largest future the runner spawned, in bytes (through [`Counting`]).
    pub largest_spawn: AtomicU64,
}

impl Counters {
    /// Counts one more of `counter`.
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Queues `n` trivial async tasks on `tasks`, each counted as queued: a request's work in the
    /// async scenarios, whatever the framework.
    pub(crate) fn queue_async(self: &Arc<Self>, tasks: &BackgroundTasks, n: u64) {
        for _ in 0..n {
            Counters::bump(&self.queued);
            let counters = Arc::clone(self);
            tasks.add_async_task(async move { trivial_task(&counters) });
        }
    }

    /// Queues `n` trivial sync tasks on `tasks`, each counted as queued.
    pub(crate) fn queue_sync(self: &Arc<Self>, tasks: &BackgroundTasks, n: u64) {
        for _ in 0..n {
            Counters::bump(&self.queued);
            let counters = Arc::clone(self);
            tasks.add_task(move || trivial_task(&counters));
        }
    }

    /// The hand-written counterpart of ten sync tasks: ten trivial tasks boxed one by one, as a
    /// queue holds them, run in order by the one blocking job returned (counted as one trip).
    pub(crate) fn ten_in_one_trip(self: &Arc<Self>) -> impl FnOnce() + Send + 'static {
        Counters::bump(&self.blocking_trips);
        let mut jobs: Vec<Box<dyn FnOnce() + Send>> = Vec::with_capacity(10);
        for _ in 0..10 {
            Counters::bump(&self.queued);
            let task = Arc::clone(self);
            jobs.push(Box::new(move || trivial_task(&task)));
        }
        move || jobs.into_iter().for_each(|job| job())
    }

    /// A snapshot, with the layer runner's metrics when there is one.
    pub fn snapshot(&self, runner: Option<Metrics>) -> Stats {
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        Stats {
            requests: load(&self.requests),
            queued: load(&self.queued),
            completed: load(&self.completed),
            spawns: load(&self.spawns),
            blocking_trips: load(&self.blocking_trips),
            largest_spawn: load(&self.largest_spawn),
            runner_queued: runner.map_or(0, |m| m.queued),
            runner_settled: runner.map_or(0, |m| m.settled()),
            runner_busy: runner.map_or(0, |m| m.running + m.waiting),
        }
    }
}

/// The trivial task every scenario's work is made of: count that it ran.
pub(crate) fn trivial_task(counters: &Counters) {
    Counters::bump(&counters.completed);
}

/// A snapshot of [`Counters`], as `/stats` returns it (one JSON object) and the load script reads
/// it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Requests to `/` the handler has seen.
    pub requests: u64,
    /// Trivial tasks asked for.
    pub queued: u64,
    /// Trivial tasks that have run.
    pub completed: u64,
    /// Futures spawned for background work.
    pub spawns: u64,
    /// Jobs sent to a blocking pool for background work.
    pub blocking_trips: u64,
    /// The largest future the layer's runner spawned, in bytes: under 1 KiB keeps its box off
    /// glibc's slow path for large chunks.
    pub largest_spawn: u64,
    /// Tasks the layer's runner counted as queued (0 without the layer).
    pub runner_queued: u64,
    /// Tasks the layer's runner has an outcome for (0 without the layer).
    pub runner_settled: u64,
    /// Queues the layer's runner is running or has waiting (0 without the layer).
    pub runner_busy: u64,
}

impl Stats {
    /// Whether every task asked for has run and the runner has nothing left.
    pub fn is_drained(&self) -> bool {
        self.completed >= self.queued && self.runner_busy == 0
    }

    /// The counters as one line of JSON.
    pub fn to_json(&self) -> String {
        format!(
            "{{\"requests\":{},\"queued\":{},\"completed\":{},\"spawns\":{},\"blocking_trips\":{},\
             \"largest_spawn\":{},\"runner_queued\":{},\"runner_settled\":{},\"runner_busy\":{}}}",
            self.requests,
            self.queued,
            self.completed,
            self.spawns,
            self.blocking_trips,
            self.largest_spawn,
            self.runner_queued,
            self.runner_settled,
            self.runner_busy,
        )
    }
}

/// An [`Executor`] that counts the spawns and blocking trips it forwards to `E`.
///
/// The cost is one relaxed `fetch_add` per spawn or trip; the hand-written scenarios pay the same
/// to count theirs.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::Ordering;
/// use background_tasks::BackgroundTasks;
/// use background_tasks_benches::{Counters, Counting};
/// use background_tasks_tokio::TokioExecutor;
///
/// let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// let counters = Arc::new(Counters::default());
/// runtime.block_on(async {
///     let executor = Counting::new(TokioExecutor::new(), counters.clone());
///     let tasks = BackgroundTasks::new();
///     tasks.add_task(|| ());
///     tasks.add_task(|| ());
///     tasks.run(&executor).await;
/// });
/// assert_eq!(counters.blocking_trips.load(Ordering::Relaxed), 1, "one trip for both");
/// ```
#[derive(Clone)]
pub struct Counting<E> {
    inner: E,
    counters: Arc<Counters>,
}

impl<E> Counting<E> {
    /// Counts what `inner` is given into `counters`.
    pub fn new(inner: E, counters: Arc<Counters>) -> Self {
        Self { inner, counters }
    }
}

impl<E: fmt::Debug> fmt::Debug for Counting<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Counting")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<E: Executor> Executor for Counting<E> {
    fn spawn(&self, future: BoxFuture<()>) {
        Counters::bump(&self.counters.spawns);
        let bytes = std::mem::size_of_val(&*future) as u64;
        self.counters
            .largest_spawn
            .fetch_max(bytes, Ordering::Relaxed);
        self.inner.spawn(future);
    }

    fn spawn_blocking(&self, job: BlockingJob) -> BoxFuture<Result<(), BlockingError>> {
        Counters::bump(&self.counters.blocking_trips);
        self.inner.spawn_blocking(job)
    }

    fn spawn_blocking_detached(&self, job: BlockingJob) {
        Counters::bump(&self.counters.blocking_trips);
        self.inner.spawn_blocking_detached(job);
    }

    fn sleep(&self, duration: Duration) -> Option<BoxFuture<()>> {
        self.inner.sleep(duration)
    }
}
