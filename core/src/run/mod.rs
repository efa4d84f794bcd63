//! The runner: drains queues in order on an [`Executor`], under a [`FailurePolicy`], reporting
//! failures to an error hook; spawns them, limits them, and shuts them down.
//!
//! # The life of a task
//!
//! 1. A handler adds it to its request's queue (`crate::queue`): it waits there, in order.
//! 2. The response ends; the HTTP integration hands the queue to [`Runner::spawn`]. `spawn`
//!    counts it as waiting (a token of the runner's books, given back however the run ends) and
//!    starts it: on an async task of the executor, or, when its first task is sync, straight on
//!    the blocking pool through the `lane`.
//! 3. The run (`drain`) starts the queue once, through its [`RunGuard`](drain::RunGuard), then
//!    takes the tasks in turn from the queue's state: an async task is awaited where the run is
//!    polled; a run of sync tasks goes to the blocking pool in one trip.
//! 4. However a task ends (returned, failed, panicked, cut by its timeout) or never runs
//!    (skipped, discarded, abandoned, with an [`AbandonReason`](crate::AbandonReason)), its outcome
//!    is decided in one place, `crate::settle`, which tells the error hook, and the queue's state
//!    books it (counts, observer, report).
//! 5. A run dropped half-way (a runtime shutting down, a cancelled future) is not silent: its
//!    guard settles every task it had not, as abandoned.
//!
//! The modules:
//!
//! - this module: [`Runner`] and its builder;
//! - `config`: the settings the builder sets, all the other modules need of the runner;
//! - `spawn`: a spawned queue's guard and its start (on an async task, or on the blocking pool);
//! - `lane`: how the queues that start with sync work reach the blocking pool, sharing its jobs;
//! - `drain`: the loop that runs a started queue to its end, and its guard;
//! - `lifecycle`: the queues spawned and not yet ended, for `idle` and `shutdown`.

mod config;
mod drain;
mod lane;
mod lifecycle;
mod spawn;

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use async_lock::Semaphore;

use crate::executor::{BoxFuture, Executor};
use crate::metrics::{Ledger, Metrics};
use crate::policy::FailurePolicy;
use crate::queue::BackgroundTasks;
use crate::queue::state::{Cut, Lead};
use crate::report::{RunReport, TaskError};

use self::config::{Config, DEFAULT_CONFIG};
use self::lifecycle::{Idle, Lifecycle};
pub use self::lifecycle::{ShutdownDeadline, ShutdownReport};

/// Runs queues on an executor with a chosen [`FailurePolicy`] and error hook.
///
/// [`BackgroundTasks::run`] is the shorthand for `Runner::new(executor).run(tasks)` with the
/// defaults: stop on the first failure, report failures as `tracing` error events.
///
/// # Examples
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use background_tasks::{BackgroundTasks, FailurePolicy, Outcome, Runner};
/// # use background_tasks::{BlockingError, BlockingJob, BoxFuture, Executor};
/// # #[derive(Debug)] struct Inline;
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
/// # let executor = Inline;
///
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let runner = Runner::new(executor)
///     .failure_policy(FailurePolicy::ContinueOnError)
///     .on_error({
///         let seen = seen.clone();
///         move |label, error| seen.lock().unwrap().push(format!("{label}: {error}"))
///     });
///
/// let tasks = BackgroundTasks::new();
/// tasks.add(background_tasks::Task::sync(|| Err::<(), _>("disk full")).with_label("save"));
/// tasks.add_task(|| ());
///
/// let report = block_on(runner.run(tasks));
/// assert_eq!(report.tasks()[0].outcome, Outcome::Failed("disk full".into()));
/// assert_eq!(report.tasks()[1].outcome, Outcome::Succeeded); // ran despite the failure
/// assert_eq!(*seen.lock().unwrap(), ["save: task failed: disk full"]);
/// ```
#[derive(Clone)]
pub struct Runner<E> {
    executor: E,
    // Shared: a spawn clones the runner, and one reference count is cheaper than one per field.
    config: Arc<Config>,
}

impl<E: Executor> Runner<E> {
    /// A runner with the default policy ([`FailurePolicy::StopOnError`]) and error hook (a
    /// `tracing` error event per failure), no task timeout and no limit on queues running at once.
    pub fn new(executor: E) -> Self {
        Self {
            executor,
            config: Arc::new(Config {
                lifecycle: Some(Arc::new(Lifecycle::new())),
                ..DEFAULT_CONFIG.clone()
            }),
        }
    }

    /// Sets what a queue does after a task fails ([`FailurePolicy::StopOnError`] unless set).
    #[must_use = "failure_policy returns the configured runner"]
    pub fn failure_policy(mut self, policy: FailurePolicy) -> Self {
        Arc::make_mut(&mut self.config).policy = policy;
        self
    }

    /// Replaces the default error hook. It runs on whichever thread the failing task ran on, so
    /// keep it short; a panic inside it is caught and logged.
    ///
    /// The default hook emits a `tracing` error event (fields `task` and `error`) when a
    /// subscriber is installed, and otherwise writes one line to stderr,
    /// `background task {label} ({request}): {error}: {its causes}` (the request when an HTTP
    /// integration queued the task), so that no failure goes unseen.
    #[must_use = "on_error returns the configured runner"]
    pub fn on_error<F>(mut self, hook: F) -> Self
    where
        F: Fn(&str, &TaskError) + Send + Sync + 'static,
    {
        Arc::make_mut(&mut self.config).on_error = Some(Arc::new(hook));
        self
    }

    /// Gives every task `timeout` to finish. An async task that overruns is cancelled (dropped)
    /// and reported as [`Outcome::TimedOut`](crate::Outcome::TimedOut); a sync task cannot be cancelled, so it runs to its
    /// end and its overrun is reported the same way. A timeout counts as a failure for the
    /// [`FailurePolicy`].
    ///
    /// # Panics
    ///
    /// If the executor has no timer ([`Executor::sleep`] returns `None`): the timeout could never
    /// fire.
    #[must_use = "task_timeout returns the configured runner"]
    pub fn task_timeout(mut self, timeout: Duration) -> Self {
        assert!(
            self.executor.sleep(Duration::ZERO).is_some(),
            "Runner::task_timeout needs a timer, but this executor's `sleep` returns None; \
             implement `Executor::sleep` or drop the timeout"
        );
        Arc::make_mut(&mut self.config).task_timeout = Some(timeout);
        self
    }

    /// Lets at most `queues` spawned queues run at once; the others wait, in order, and none is
    /// dropped. [`Metrics::waiting`] shows how many wait. Like the other settings, it applies to
    /// this runner and the clones made from it afterwards; the counters and shutdown state stay
    /// shared with every clone.
    ///
    /// # Panics
    ///
    /// If `queues` is zero: nothing would ever run.
    #[must_use = "max_running returns the configured runner"]
    pub fn max_running(mut self, queues: usize) -> Self {
        assert!(queues > 0, "Runner::max_running(0) would never run a queue");
        Arc::make_mut(&mut self.config).limit = Some(Arc::new(Semaphore::new(queues)));
        self
    }

    /// Records this runner's queues (and its clones') in `observer`: each task's times and
    /// outcome, in a bounded window of recent queues, for a status page and for task ids
    /// ([`BackgroundTasks::add_task_with_id`]). Only queues made after this call
    /// ([`queue`](Self::queue), an HTTP integration's) are recorded, and only they can be
    /// cancelled through it. Without an observer nothing is recorded and nothing is paid.
    ///
    /// # Panics
    ///
    /// If this runner (or a clone) already has an observer.
    #[cfg(feature = "status")]
    #[cfg_attr(docsrs, doc(cfg(feature = "status")))]
    #[must_use = "observe returns the configured runner"]
    pub fn observe(self, observer: crate::status::Observer) -> Self {
        assert!(
            self.lifecycle().ledger().observe(observer),
            "Runner::observe was already called on this runner or a clone; give it one observer \
             and share that (observers are cheap to clone)"
        );
        self
    }

    /// The observer given to [`observe`](Self::observe), if any.
    #[cfg(feature = "status")]
    #[cfg_attr(docsrs, doc(cfg(feature = "status")))]
    pub fn observer(&self) -> Option<&crate::status::Observer> {
        self.lifecycle().ledger().observer()
    }

    /// The executor queues run on.
    pub fn executor(&self) -> &E {
        &self.executor
    }

    /// A new, empty queue that counts in this runner's [`metrics`](Self::metrics) from its first
    /// task, and refuses tasks once the runner [shuts down](Self::shutdown). The HTTP layer makes
    /// each request's queue this way.
    pub fn queue(&self) -> BackgroundTasks {
        BackgroundTasks::counted_by(self.ledger())
    }

    /// Drains `tasks` in order and reports what happened to each.
    ///
    /// Async tasks are awaited by the returned future itself, so whoever polls it (a task spawned on
    /// the executor, usually) polls them; sync tasks go to the executor's blocking pool, and
    /// consecutive sync tasks share one trip there.
    ///
    /// # Panics
    ///
    /// If `tasks` already ran, is running, or was discarded: a queue runs at most once.
    pub fn run(&self, tasks: BackgroundTasks) -> impl Future<Output = RunReport> + Send + '_ {
        drain::drive(tasks, &self.executor, &self.config)
    }

    /// Closes `tasks` without running it, as [`BackgroundTasks::discard`], counting its tasks as
    /// discarded in this runner's metrics.
    pub(crate) fn discard(&self, tasks: BackgroundTasks) -> RunReport {
        self.adopt(&tasks);
        tasks.discard()
    }

    /// Counts `tasks` in this runner's metrics if it was made elsewhere, and says what its first
    /// task is, under one lock.
    fn adopt(&self, tasks: &BackgroundTasks) -> Lead {
        tasks.state().adopt(self.config.ledger())
    }

    /// Whether [`on_error`](Self::on_error) replaced the default error hook.
    pub(crate) fn has_error_hook(&self) -> bool {
        self.config.on_error.is_some()
    }

    /// A signal for async tasks that want to stop cooperatively when a
    /// [`shutdown`](Self::shutdown)'s deadline passes, rather than be cut off or counted as still
    /// running.
    pub fn deadline(&self) -> ShutdownDeadline {
        ShutdownDeadline::new(Arc::clone(self.lifecycle()))
    }

    /// Whether [`shutdown`](Self::shutdown) has been called on this runner or a clone.
    pub fn is_shutting_down(&self) -> bool {
        self.lifecycle().ledger().is_closed()
    }

    /// A snapshot of the counters of every queue this runner (or a clone) ran, discarded or made.
    pub fn metrics(&self) -> Metrics {
        self.lifecycle().ledger().snapshot()
    }

    /// Resolves once every task counted by this runner has an outcome and no queue handed to
    /// [`spawn`](Self::spawn) is waiting or running: what a test awaits to see every queued task
    /// done, as FastAPI's `TestClient` does, but only when asked.
    ///
    /// A request's queue is counted from its first task, so `idle` also waits for a queue whose
    /// response is still being sent: a test may await it before reading the body. It cannot wait
    /// for a request that has not reached its handler yet: send the request first.
    pub fn idle(&self) -> impl Future<Output = ()> + Send + 'static {
        let lifecycle = self.lifecycle().clone();
        async move { lifecycle.idle(Idle::Settled).await }
    }

    /// The books a queue made for this runner counts in.
    pub(crate) fn ledger(&self) -> Option<Arc<Ledger>> {
        self.config.ledger().cloned()
    }

    fn lifecycle(&self) -> &Arc<Lifecycle> {
        self.config.lifecycle()
    }
}

impl<E: Executor + Clone> Runner<E> {
    /// Runs `tasks` as its own task on the executor (after a slot frees up under
    /// [`max_running`](Self::max_running)), tracked for [`shutdown`](Self::shutdown), then hands
    /// the report to `on_done`.
    ///
    /// If the runtime drops the run before it ends, the tasks it did not run are reported as
    /// [`Outcome::Abandoned`](crate::Outcome::Abandoned) and `on_done` still gets the report.
    /// Once the runner is shutting down, the queue is refused: its tasks are reported as
    /// abandoned to the error hook and to `on_done`, at once.
    ///
    /// The run carries the current `tracing` span, so task spans nest under the caller's (the HTTP
    /// layer's request span).
    ///
    /// A queue whose first task is sync starts on the blocking pool. It may wait there for a pool
    /// job already running another queue's start (one wake for several queues, which is what
    /// makes sync tasks cheap under load), until a watchdog on the executor's timer (1 ms) gives it
    /// a pool job of its own, and once the watchdog found the busy jobs stuck, new queues get one
    /// at once: a sync task that blocks holds up another queue for milliseconds, not its length. With an executor
    /// that has no timer ([`Executor::sleep`] returns `None`), it waits only for a pool job not yet
    /// busy.
    pub fn spawn<F>(&self, tasks: BackgroundTasks, on_done: F)
    where
        F: FnOnce(RunReport) + Send + 'static,
    {
        let lead = self.adopt(&tasks);
        spawn::spawn(&self.executor, &self.config, tasks, lead, on_done);
    }

    /// Stops taking new queues, waits up to `deadline` for the running and waiting ones to end,
    /// and reports what happened.
    ///
    /// Queues handed to [`spawn`](Self::spawn) from now on, and tasks added to queues made by
    /// [`queue`](Self::queue) that have not started, are refused with an error. When the deadline
    /// passes first, every task not yet started is abandoned and reported (to the error hook, the
    /// counters and the returned report); tasks already running cannot be stopped and are counted
    /// as still running. Call it after the server stopped accepting and finished its responses
    /// (axum's `with_graceful_shutdown`, `serve(..).with_graceful_shutdown`) so that in-flight
    /// requests hand their queues over first.
    ///
    /// Without a timer ([`Executor::sleep`] returning `None`), it waits without a deadline.
    pub async fn shutdown(&self, deadline: Duration) -> ShutdownReport {
        let lifecycle = self.lifecycle().clone();
        lifecycle.ledger().close();
        #[cfg(feature = "status")]
        if let Some(observer) = lifecycle.ledger().observer() {
            observer.draining();
        }
        let deadline_passed = match self.executor.sleep(deadline) {
            Some(timer) => !first_of(lifecycle.idle(Idle::Spawned), timer).await,
            None => {
                lifecycle.idle(Idle::Spawned).await;
                false
            }
        };
        let (mut abandoned_at_deadline, mut still_running) = (0, 0);
        if deadline_passed {
            lifecycle.deadline_passed();
            for tasks in lifecycle.active() {
                let (left, cut) = drain::cut_for_shutdown(&tasks, &self.config);
                abandoned_at_deadline += left as u64;
                still_running += u64::from(cut == Some(Cut::Running));
            }
        }
        ShutdownReport {
            metrics: lifecycle.ledger().snapshot(),
            deadline_passed,
            abandoned_at_deadline,
            still_running,
        }
    }
}

/// Polls both; `true` if `first` finished first.
async fn first_of(first: impl Future<Output = ()>, second: BoxFuture<()>) -> bool {
    let mut first = std::pin::pin!(first);
    let mut second = second;
    std::future::poll_fn(move |cx| {
        if first.as_mut().poll(cx).is_ready() {
            Poll::Ready(true)
        } else if second.as_mut().poll(cx).is_ready() {
            Poll::Ready(false)
        } else {
            Poll::Pending
        }
    })
    .await
}

impl<E: fmt::Debug> fmt::Debug for Runner<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runner")
            .field("executor", &self.executor)
            .field("policy", &self.config.policy)
            .field("custom_error_hook", &self.config.on_error.is_some())
            .field("task_timeout", &self.config.task_timeout)
            .finish_non_exhaustive()
    }
}

impl BackgroundTasks {
    /// Drains the queue on `executor` with the default policy and error hook, and reports what
    /// happened to each task. This is how a queue runs without HTTP, in a unit test say.
    ///
    /// # Panics
    ///
    /// If the queue already ran, is running, or was discarded: a queue runs at most once.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(executor: impl background_tasks::Executor) {
    /// use background_tasks::BackgroundTasks;
    ///
    /// let tasks = BackgroundTasks::new();
    /// tasks.add_task(|| println!("first"));
    /// tasks.add_async_task(async { println!("second") });
    /// let report = tasks.run(&executor).await;
    /// assert!(report.is_success());
    /// # }
    /// ```
    pub fn run<E: Executor + ?Sized>(
        self,
        executor: &E,
    ) -> impl Future<Output = RunReport> + Send + '_ {
        drain::drive(self, executor, &DEFAULT_CONFIG)
    }
}
