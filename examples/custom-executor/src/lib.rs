//! A custom executor on plain std threads: how to run background-tasks queues on a scheduler of
//! your own.
//!
//! The adapter crates cover tokio, smol and async-std. If your program runs on something else (an
//! in-house scheduler, a game loop, an embedded runtime), implementing
//! [`Executor`] is all it takes, and this crate shows one
//! from scratch with nothing but std: [`ThreadPoolExecutor`] keeps a few *async workers* polling
//! spawned futures and a separate pool of *blocking threads* for sync tasks.
//!
//! # Examples
//!
//! ```
//! use background_tasks::BackgroundTasks;
//! use background_tasks_example_custom_executor::{ThreadPoolExecutor, block_on};
//!
//! let executor = ThreadPoolExecutor::with_threads(2, 4);
//! let tasks = BackgroundTasks::new();
//! tasks.add_task(|| println!("on a blocking thread"));
//! tasks.add_async_task(async { println!("awaited by the run") });
//!
//! let report = block_on(tasks.run(&executor));
//! assert!(report.is_success());
//! ```
//!
//! # Implementing `Executor` for your own scheduler
//!
//! The trait asks for two things, and each has one subtlety:
//!
//! - [`spawn`](Executor::spawn) must poll a detached future to its end though nobody awaits it:
//!   an HTTP layer spawns a queue's run after the response and never looks back. Here each future
//!   lives in a `TaskCell` whose [`Waker`] puts it back on a run queue; the cell's state makes sure
//!   one thread at a time polls it and that a wake arriving *during* a poll triggers another poll.
//! - [`spawn_blocking`](Executor::spawn_blocking) must run the job on threads of its own (a sync
//!   task may block for seconds and must not stall the futures) and resolve once the job ended.
//!   Its result must also cover the job's *fate*: `Panicked` if it unwound (catch it where it
//!   runs), `Cancelled` if it was dropped unrun. A drop guard moved into the job reports both,
//!   since dropping the closure drops the guard.
//!
//! Check the result with the `background-tasks-conformance` crate: it runs the suite the adapters
//! pass on any executor.
//!
//! # Shutting down
//!
//! Dropping the last handle lets every thread exit, without waiting for them (the last handle may
//! be dropped on one of the pool's own threads, which cannot join itself). Blocking jobs still
//! queued are dropped unrun and their futures resolve to [`BlockingError::Cancelled`]; the job
//! running at that moment finishes. Spawned futures keep being polled to their end: the async
//! workers exit once the last of them has completed or been dropped.

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

use background_tasks::{BlockingError, BlockingJob, BoxFuture, Executor};

/// An [`Executor`] with its own threads: async workers that poll spawned futures, and a separate
/// pool of blocking threads for sync jobs. Clones share the threads.
///
/// Threads are named `custom-async-N` and `custom-blocking-N`. See the [crate docs](crate) for
/// what dropping the last handle does.
///
/// # Examples
///
/// ```
/// use background_tasks::Executor;
/// use background_tasks_example_custom_executor::{ThreadPoolExecutor, block_on};
///
/// let executor = ThreadPoolExecutor::new();
/// let ran = block_on(executor.spawn_blocking(Box::new(|| println!("blocking"))));
/// assert_eq!(ran, Ok(()));
/// ```
#[derive(Clone)]
pub struct ThreadPoolExecutor {
    inner: Arc<Inner>,
}

struct Inner {
    run_queue: Sender<Arc<TaskCell>>,
    blocking_queue: Sender<BlockingJob>,
    closed: Arc<AtomicBool>,
    async_workers: usize,
    blocking_threads: usize,
}

impl ThreadPoolExecutor {
    /// One async worker and four blocking threads.
    pub fn new() -> Self {
        Self::with_threads(1, 4)
    }

    /// `async_workers` threads polling futures and `blocking_threads` threads running sync jobs.
    ///
    /// # Panics
    ///
    /// If either count is zero (nothing would ever run), or if the OS cannot start a thread.
    pub fn with_threads(async_workers: usize, blocking_threads: usize) -> Self {
        assert!(
            async_workers > 0 && blocking_threads > 0,
            "ThreadPoolExecutor needs at least one thread on each side"
        );
        let (run_queue, runnable) = channel::<Arc<TaskCell>>();
        // std's receiver has one owner: the threads of a side take turns waiting on it.
        let runnable = Arc::new(Mutex::new(runnable));
        for n in 0..async_workers {
            let runnable = runnable.clone();
            start(format!("custom-async-{n}"), move || {
                IS_ASYNC_WORKER.set(true);
                while let Some(task) = next(&runnable) {
                    task.run();
                }
            });
        }
        let (blocking_queue, jobs) = channel::<BlockingJob>();
        let jobs = Arc::new(Mutex::new(jobs));
        let closed = Arc::new(AtomicBool::new(false));
        for n in 0..blocking_threads {
            let (jobs, closed) = (jobs.clone(), closed.clone());
            start(format!("custom-blocking-{n}"), move || {
                // A disconnected channel still hands out what it buffered, hence the flag: after
                // shutdown each job is dropped unrun, and its drop guard reports `Cancelled`.
                while let Some(job) = next(&jobs) {
                    if !closed.load(Ordering::Acquire) {
                        job();
                    }
                }
            });
        }
        let inner = Inner {
            run_queue,
            blocking_queue,
            closed,
            async_workers,
            blocking_threads,
        };
        Self {
            inner: Arc::new(inner),
        }
    }
}

impl Default for ThreadPoolExecutor {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ThreadPoolExecutor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadPoolExecutor")
            .field("async_workers", &self.inner.async_workers)
            .field("blocking_threads", &self.inner.blocking_threads)
            .finish()
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Set before the senders drop with `self`, so no worker sees the hang-up without the flag.
        self.closed.store(true, Ordering::Release);
    }
}

impl Executor for ThreadPoolExecutor {
    fn spawn(&self, future: BoxFuture<()>) {
        let task = Arc::new(TaskCell {
            state: Mutex::new(State::Idle(future)),
            run_queue: self.inner.run_queue.clone(),
        });
        // A new task is an idle one that was just woken: the same path queues it.
        task.wake();
    }

    fn spawn_blocking(&self, job: BlockingJob) -> BoxFuture<Result<(), BlockingError>> {
        let slot = Arc::new(Mutex::new(Slot::default()));
        let report = Report {
            slot: slot.clone(),
            result: Err(BlockingError::Cancelled),
        };
        // Dropping this closure unrun drops `report` with it, which reports `Cancelled`.
        let job: BlockingJob = Box::new(move || {
            report.finish(
                catch_unwind(AssertUnwindSafe(job)).map_err(|p| BlockingError::panicked(&*p)),
            );
        });
        // If the pool is gone the job comes back inside the error; dropping it reports `Cancelled`.
        let _ = self.inner.blocking_queue.send(job);
        Box::pin(JobHandle { slot })
    }

    // Optional: the pool runs what it is sent whether or not anyone waits, so a queue that starts
    // with sync tasks can go straight to it. A job the pool drops unrun reports its own tasks.
    fn spawn_blocking_detached(&self, job: BlockingJob) {
        let _ = self.inner.blocking_queue.send(job);
    }
}

/// Whether the current thread is an async worker of some [`ThreadPoolExecutor`]: true inside
/// spawned futures, false inside blocking jobs and elsewhere.
///
/// # Examples
///
/// ```
/// assert!(!background_tasks_example_custom_executor::is_async_worker());
/// ```
pub fn is_async_worker() -> bool {
    IS_ASYNC_WORKER.get()
}

thread_local! {
    static IS_ASYNC_WORKER: Cell<bool> = const { Cell::new(false) };
}

/// Runs `future` to its end on the calling thread, parking it while the future waits: the entry
/// point of a `main` or a test.
///
/// # Panics
///
/// If called on an async worker, which it would stall for as long as `future` waits; `.await` the
/// future there instead.
///
/// # Examples
///
/// ```
/// use background_tasks_example_custom_executor::block_on;
///
/// assert_eq!(block_on(async { 1 + 1 }), 2);
/// ```
pub fn block_on<F: Future>(future: F) -> F::Output {
    assert!(
        !is_async_worker(),
        "block_on called on an async worker; use `.await` there"
    );
    let mut future = pin!(future);
    let waker = Waker::from(Arc::new(Unparker(thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        // A wake that came before this park left a token, so it is not lost; a spurious return
        // merely polls once more.
        thread::park();
    }
}

struct Unparker(Thread);

impl Wake for Unparker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// A spawned future and where it stands. The future sits in the state while nobody polls it and is
/// moved out for the poll, so two threads can never poll it at once, and the lock is not held
/// while user code runs.
struct TaskCell {
    state: Mutex<State>,
    run_queue: Sender<Arc<TaskCell>>,
}

enum State {
    /// Waiting for a wake.
    Idle(BoxFuture<()>),
    /// On the run queue.
    Scheduled(BoxFuture<()>),
    /// Being polled by a worker, which holds the future.
    Running,
    /// Woken while being polled: the worker queues it again instead of parking it.
    Notified,
    /// Completed, or panicked.
    Done,
}

impl Wake for TaskCell {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let mut state = lock(&self.state);
        *state = match std::mem::replace(&mut *state, State::Done) {
            State::Idle(future) => {
                // Fails only once the workers are gone, and then dropping the task is all we can do.
                let _ = self.run_queue.send(self.clone());
                State::Scheduled(future)
            }
            // Queued at most once, however many wakes come before its next poll.
            State::Running | State::Notified => State::Notified,
            already @ (State::Scheduled(_) | State::Done) => already,
        };
    }
}

impl TaskCell {
    /// Polls the future once, on an async worker that took `self` off the run queue.
    fn run(self: Arc<Self>) {
        let State::Scheduled(mut future) =
            std::mem::replace(&mut *lock(&self.state), State::Running)
        else {
            unreachable!("only scheduled tasks are on the run queue");
        };
        let waker = Waker::from(self.clone());
        // A detached future has nobody to report a panic to (the panic hook has printed it); it
        // must not take the worker thread, and every other task, down with it.
        let poll = catch_unwind(AssertUnwindSafe(|| {
            future.as_mut().poll(&mut Context::from_waker(&waker))
        }));
        let mut state = lock(&self.state);
        match (poll, &*state) {
            (Ok(Poll::Pending), State::Notified) => {
                let _ = self.run_queue.send(self.clone());
                *state = State::Scheduled(future);
            }
            (Ok(Poll::Pending), _) => *state = State::Idle(future),
            _ => {
                *state = State::Done;
                // Its destructor may wake this very task: drop it after the lock, not under it.
                drop(state);
                drop(future);
            }
        }
    }
}

/// Where a blocking job's result meets the future awaiting it.
#[derive(Default)]
struct Slot {
    result: Option<Result<(), BlockingError>>,
    waker: Option<Waker>,
}

/// Moved into the job: fills the slot when dropped, with `Cancelled` unless the job ran.
struct Report {
    slot: Arc<Mutex<Slot>>,
    result: Result<(), BlockingError>,
}

impl Report {
    fn finish(mut self, result: Result<(), BlockingError>) {
        self.result = result;
    }
}

impl Drop for Report {
    fn drop(&mut self) {
        let result = std::mem::replace(&mut self.result, Err(BlockingError::Cancelled));
        let waker = {
            let mut slot = lock(&self.slot);
            slot.result = Some(result);
            slot.waker.take()
        };
        // Woken outside the lock: the awaiting task may be polled at once, on another thread.
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

struct JobHandle {
    slot: Arc<Mutex<Slot>>,
}

impl Future for JobHandle {
    type Output = Result<(), BlockingError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut slot = lock(&self.slot);
        match slot.result.take() {
            Some(result) => Poll::Ready(result),
            None => {
                // Only the latest waker counts: the future may have moved to another task.
                slot.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

fn start(name: String, body: impl FnOnce() + Send + 'static) {
    thread::Builder::new()
        .name(name)
        .spawn(body)
        .expect("the OS refused to start a ThreadPoolExecutor thread");
}

/// The next item for a pool thread, or `None` once every sender is gone and the queue is empty.
fn next<T>(queue: &Mutex<Receiver<T>>) -> Option<T> {
    lock(queue).recv().ok()
}

/// No code that can panic runs under these locks, so a poisoned one still holds consistent data.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
