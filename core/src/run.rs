//! The runner: drains a queue in order on an [`Executor`], under a [`FailurePolicy`], reporting
//! failures to an error hook.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use async_lock::Semaphore;
use tracing::Instrument;

use crate::executor::{BoxFuture, Executor};
use crate::lifecycle::{Lifecycle, Metrics, ShutdownReport};
use crate::queue::{BackgroundTasks, Phase, State};
use crate::report::{Outcome, RunReport, TaskError, TaskReport};
use crate::task::{BoxError, CatchUnwind, Task, Work, panic_message};

/// What a queue does after one of its tasks fails or panics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailurePolicy {
    /// The remaining tasks are not run and are reported as [`Outcome::Skipped`]: FastAPI's
    /// behaviour, since later tasks often depend on earlier ones.
    #[default]
    StopOnError,
    /// The remaining tasks run anyway.
    ContinueOnError,
}

/// Called with a task's label and its error whenever a task fails, panics or is abandoned.
pub type ErrorHook = Arc<dyn Fn(&str, &TaskError) + Send + Sync + 'static>;

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
///     .policy(FailurePolicy::ContinueOnError)
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

#[derive(Clone)]
pub(crate) struct Config {
    policy: FailurePolicy,
    on_error: Option<ErrorHook>,
    task_timeout: Option<Duration>,
    // `None` only for `BackgroundTasks::run`, which has no runner to count for.
    lifecycle: Option<Arc<Lifecycle>>,
}

static DEFAULT_CONFIG: Config = Config {
    policy: FailurePolicy::StopOnError,
    on_error: None,
    task_timeout: None,
    lifecycle: None,
};

impl<E: Executor> Runner<E> {
    /// A runner with the default policy ([`FailurePolicy::StopOnError`]) and error hook (a
    /// `tracing` error event per failure), no task timeout and no limit on queues running at once.
    pub fn new(executor: E) -> Self {
        Self {
            executor,
            config: Arc::new(Config {
                lifecycle: Some(Arc::new(Lifecycle::new(None))),
                ..DEFAULT_CONFIG.clone()
            }),
        }
    }

    /// Sets what a queue does after a task fails.
    #[must_use = "policy returns the configured runner"]
    pub fn policy(mut self, policy: FailurePolicy) -> Self {
        Arc::make_mut(&mut self.config).policy = policy;
        self
    }

    /// Replaces the default error hook. It runs on whichever thread the failing task ran on, so
    /// keep it short; a panic inside it is caught and logged.
    #[must_use = "on_error returns the configured runner"]
    pub fn on_error<F>(mut self, hook: F) -> Self
    where
        F: Fn(&str, &TaskError) + Send + Sync + 'static,
    {
        Arc::make_mut(&mut self.config).on_error = Some(Arc::new(hook));
        self
    }

    /// Gives every task `timeout` to finish. An async task that overruns is cancelled (dropped)
    /// and reported as [`Outcome::TimedOut`]; a sync task cannot be cancelled, so it runs to its
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
    /// dropped. [`Metrics::waiting`] shows how many wait.
    ///
    /// This starts the runner's counters and shutdown state afresh, so set it before cloning the
    /// runner or spawning anything.
    ///
    /// # Panics
    ///
    /// If `queues` is zero: nothing would ever run.
    #[must_use = "max_running returns the configured runner"]
    pub fn max_running(mut self, queues: usize) -> Self {
        assert!(queues > 0, "Runner::max_running(0) would never run a queue");
        Arc::make_mut(&mut self.config).lifecycle = Some(Arc::new(Lifecycle::new(Some(queues))));
        self
    }

    /// The executor queues run on.
    pub fn executor(&self) -> &E {
        &self.executor
    }

    /// The policy queues run under.
    pub fn failure_policy(&self) -> FailurePolicy {
        self.config.policy
    }

    /// A new, empty queue that counts in this runner's [`metrics`](Self::metrics) from its first
    /// task, and refuses tasks once the runner [shuts down](Self::shutdown). The HTTP layer makes
    /// each request's queue this way.
    pub fn queue(&self) -> BackgroundTasks {
        BackgroundTasks::counted_by(self.config.lifecycle.clone())
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
        drive(tasks, &self.executor, &self.config)
    }

    /// Closes `tasks` without running it, as [`BackgroundTasks::discard`], counting its tasks as
    /// discarded in this runner's metrics.
    pub fn discard(&self, tasks: BackgroundTasks) -> RunReport {
        self.attach(&tasks);
        tasks.discard()
    }

    /// Counts `tasks` in this runner's metrics if it was made elsewhere. Returns whether its first
    /// task is sync, under the same lock.
    fn attach(&self, tasks: &BackgroundTasks) -> bool {
        let mut state = tasks.shared.lock();
        if state.phase != Phase::Open {
            return false;
        }
        state.count_in(self.config.lifecycle.as_ref());
        state.queue.front().is_some_and(Task::is_sync)
    }

    /// Whether [`shutdown`](Self::shutdown) has been called on this runner or a clone.
    pub fn is_shutting_down(&self) -> bool {
        self.lifecycle().is_closed()
    }

    /// A snapshot of the counters of every queue this runner (or a clone) ran, discarded or made.
    pub fn metrics(&self) -> Metrics {
        self.lifecycle().counters.snapshot()
    }

    /// Resolves once no queue handed to [`spawn`](Self::spawn) is waiting or running: what a test
    /// awaits to see every queued task done, as FastAPI's `TestClient` does, but only when asked.
    pub fn idle(&self) -> impl Future<Output = ()> + Send + 'static {
        let lifecycle = self.lifecycle().clone();
        async move { lifecycle.idle().await }
    }

    pub(crate) fn lifecycle_handle(&self) -> Option<Arc<Lifecycle>> {
        self.config.lifecycle.clone()
    }

    fn lifecycle(&self) -> &Arc<Lifecycle> {
        self.config
            .lifecycle
            .as_ref()
            .expect("every Runner has a lifecycle")
    }
}

impl<E: Executor + Clone> Runner<E> {
    /// Runs `tasks` as its own task on the executor (after a slot frees up under
    /// [`max_running`](Self::max_running)), tracked for [`shutdown`](Self::shutdown), then hands
    /// the report to `on_done`.
    ///
    /// A queue whose first task is sync starts on the blocking pool instead
    /// ([`Executor::spawn_blocking_detached`]) when no limit is set, and moves to an async task
    /// only if async tasks follow: a queue of sync tasks costs one thread hand-off, as a
    /// hand-written `spawn_blocking` does. If the runtime drops the run before it starts (or
    /// between the pool and its async tasks), the tasks are reported as abandoned and `on_done`
    /// still gets the report.
    ///
    /// The run carries the current `tracing` span, so task spans nest under the caller's (the HTTP
    /// layer's request span). Once the runner is shutting down, the queue is refused: its tasks are
    /// reported as [`Outcome::Abandoned`] to the error hook and to `on_done`, at once.
    pub fn spawn<F>(&self, tasks: BackgroundTasks, on_done: F)
    where
        F: FnOnce(RunReport) + Send + 'static,
    {
        let starts_sync = self.attach(&tasks);
        let lifecycle = self.lifecycle();
        if lifecycle.is_closed() {
            abandon(
                &tasks,
                &self.config,
                "refused: the runner is shutting down and starts no new queue",
            );
            let report = tasks.shared.lock().take_report();
            on_done(report);
            return;
        }
        // Made outside the spawned future or job, so that a runtime dropping it unrun still settles
        // the queue and the books, and still delivers a report.
        let slot = Slot {
            id: lifecycle.register(&tasks),
            runner: self.clone(),
            tasks: Some(tasks),
            started: false,
            on_done: Some(on_done),
        };
        // The run carries the caller's span, so task spans nest under the request's.
        let span = tracing::Span::current();
        // A queue that starts with sync work starts on the blocking pool: one hand-off, not two.
        // Under a limit it must wait for its turn like the others, which takes an async task.
        if starts_sync && lifecycle.limit.is_none() {
            let job = move || span.in_scope(|| slot.start_on_blocking_pool(span.clone()));
            self.executor.spawn_blocking_detached(Box::new(job));
            return;
        }
        // The slot's own futures, not async blocks around them: a block would keep the slot twice
        // (once captured, once in the call). Size matters: the future is moved whole into its
        // box, and a box of 1 KiB or more takes glibc's slow path for large chunks.
        let run: BoxFuture<()> = match lifecycle.limit.clone() {
            None => Box::pin(slot.run().instrument(span)),
            Some(limit) => Box::pin(slot.run_when_permitted(limit).instrument(span)),
        };
        self.executor.spawn(run);
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
        lifecycle.close();
        let deadline_passed = match self.executor.sleep(deadline) {
            Some(timer) => !first_of(lifecycle.idle(), timer).await,
            None => {
                lifecycle.idle().await;
                false
            }
        };
        let (mut abandoned_at_deadline, mut still_running) = (0, 0);
        if deadline_passed {
            for tasks in lifecycle.active() {
                let (left, running) = abandon_for_shutdown(&tasks, &self.config);
                abandoned_at_deadline += left as u64;
                still_running += usize::from(running);
            }
        }
        ShutdownReport {
            metrics: lifecycle.counters.snapshot(),
            deadline_passed,
            abandoned_at_deadline,
            still_running,
        }
    }
}

/// A spawned queue's place in its runner's books, given back however the run ends.
struct Slot<E: Executor, F: FnOnce(RunReport)> {
    id: usize,
    runner: Runner<E>,
    // Whenever no run guards the queue (before it starts, and while it moves from the blocking
    // pool to an async task): dropped then, the queue is reported, not lost.
    tasks: Option<BackgroundTasks>,
    started: bool,
    on_done: Option<F>,
}

impl<E: Executor + Clone, F: FnOnce(RunReport) + Send + 'static> Slot<E, F> {
    fn start(&mut self) -> BackgroundTasks {
        self.runner.lifecycle().started();
        self.started = true;
        self.tasks.take().expect("a queue starts once")
    }

    // Reported before the queue counts as ended (at the slot's drop), so that `idle` implies
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
        let mut guard = AbandonOnDrop::new(tasks, config);
        if let Err(report) = begin(&mut guard, config) {
            drop(guard);
            return self.done(report);
        }
        run_sync_batch(&guard.tasks, config);
        let finished = finish_if_done(&mut guard.tasks.shared.lock(), config);
        guard.armed = false;
        let tasks = guard.tasks.clone();
        drop(guard);
        if let Some(finished) = finished {
            let report = finished.into_report(&tasks);
            return self.done(report);
        }
        self.tasks = Some(tasks);
        let executor = self.runner.executor.clone();
        let resumed = async move {
            let tasks = self.tasks.take().expect("handed over once");
            let config = &self.runner.config;
            let mut guard = AbandonOnDrop::new(tasks, config);
            guard.started = true;
            let report = resume(&mut guard, &self.runner.executor, config).await;
            drop(guard);
            self.done(report);
        };
        executor.spawn(Box::pin(resumed.instrument(span)));
    }
}

impl<E: Executor, F: FnOnce(RunReport)> Drop for Slot<E, F> {
    fn drop(&mut self) {
        if let Some(tasks) = self.tasks.take() {
            let reason = match tasks.shared.lock().phase {
                Phase::Open => Some("the run was dropped before it started"),
                // Only while moving from the blocking pool to an async task: the queue is ours.
                Phase::Running => Some("the run was dropped before it resumed"),
                _ => None,
            };
            if let Some(reason) = reason {
                abandon(&tasks, &self.runner.config, reason);
            }
            if let Some(on_done) = self.on_done.take() {
                let report = tasks.shared.lock().take_report();
                // A panicking report hook must not skip the books below.
                let _ = catch_unwind(AssertUnwindSafe(|| on_done(report)));
            }
        }
        self.runner.lifecycle().ended(self.id, self.started);
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
            .finish()
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
        drive(self, executor, &DEFAULT_CONFIG)
    }
}

enum Next {
    Sync,
    Async(Task),
    Done(Finished),
}

/// How a task's work ended, before it becomes an [`Outcome`].
enum Ended {
    Returned(Result<(), BoxError>),
    Panicked(String),
    TimedOut(String),
}

pub(crate) fn drive<'a, E: Executor + ?Sized>(
    tasks: BackgroundTasks,
    executor: &'a E,
    config: &'a Config,
) -> impl Future<Output = RunReport> + Send + 'a {
    // Armed before the first poll: a run spawned on a runtime that shuts down before polling it
    // must not lose its queue in silence either.
    run_queue(AbandonOnDrop::new(tasks, config), executor, config)
}

async fn run_queue<E: Executor + ?Sized>(
    mut guard: AbandonOnDrop<'_>,
    executor: &E,
    config: &Config,
) -> RunReport {
    if let Err(report) = begin(&mut guard, config) {
        return report;
    }
    resume(&mut guard, executor, config).await
}

/// Marks the queue running, or returns its report if a shutdown deadline abandoned it while it
/// waited for a slot.
///
/// # Panics
///
/// If the queue already ran, is running, or was discarded.
fn begin(guard: &mut AbandonOnDrop<'_>, config: &Config) -> Result<(), RunReport> {
    let mut state = guard.tasks.shared.lock();
    match state.phase {
        Phase::Open => {}
        Phase::Abandoned => {
            guard.armed = false;
            return Err(state.take_report());
        }
        phase => panic!(
            "a BackgroundTasks queue runs at most once, but this one {}",
            match phase {
                Phase::Running => "is already running",
                Phase::Finished => "already ran",
                _ => "was discarded",
            }
        ),
    }
    state.phase = Phase::Running;
    state.count_in(config.lifecycle.as_ref());
    drop(state);
    // From here, cancelling the run (dropping its future) abandons what is left, loudly.
    guard.started = true;
    Ok(())
}

/// Runs a started queue to its end.
async fn resume<E: Executor + ?Sized>(
    // Borrowed, not moved: the caller's future already holds the guard, and a future's size is
    // paid in copies on every spawn.
    guard: &mut AbandonOnDrop<'_>,
    executor: &E,
    config: &Config,
) -> RunReport {
    let tasks = guard.tasks.clone();
    // The last async task's outcome, settled under the same lock that picks the next task: one
    // lock per task instead of two (they cost more than the rest of the bookkeeping together).
    let mut concluded: Option<TaskReport> = None;
    loop {
        let next = {
            let mut state = tasks.shared.lock();
            if let Some(report) = concluded.take() {
                state.settle_task(report);
            }
            match finish_if_done(&mut state, config) {
                Some(finished) => Next::Done(finished),
                None if state.queue.front().is_some_and(Task::is_sync) => Next::Sync,
                None => Next::Async(state.queue.pop_front().expect("not done, so not empty")),
            }
        };
        match next {
            Next::Async(Task { label, work }) => {
                let Work::Async(future) = work else {
                    unreachable!("popped because async")
                };
                let span = tracing::info_span!("background_task", task = %label, kind = "async");
                guard.in_flight = Some(label);
                let in_flight = &mut guard.in_flight;
                let work = run_async(future, executor, config.task_timeout);
                // The error hook runs inside the task's span too, so its log line names the task.
                let report = async move {
                    let ended = work.await;
                    let label = in_flight.take().expect("set before the await");
                    conclude(config, label, ended)
                };
                concluded = Some(report.instrument(span).await);
            }
            Next::Sync => {
                let batch = {
                    let tasks = tasks.clone();
                    let config = config.clone();
                    // The pool thread has no span of its own: carry the queue's.
                    let span = tracing::Span::current();
                    Box::new(move || span.in_scope(|| run_sync_batch(&tasks, &config)))
                };
                if let Err(error) = executor.spawn_blocking(batch).await {
                    // The batch pops its own tasks, so whatever it did not reach is still queued.
                    guard.armed = false;
                    abandon(&tasks, config, &error.to_string());
                    return tasks.shared.lock().take_report();
                }
            }
            Next::Done(finished) => {
                guard.armed = false;
                return finished.into_report(&tasks);
            }
        }
    }
}

/// Closes the queue if it has nothing left to run (or stops on a failure).
fn finish_if_done(state: &mut State, config: &Config) -> Option<Finished> {
    let skipped = if state.failed && config.policy == FailurePolicy::StopOnError {
        state.queue.take_all()
    } else if state.queue.is_empty() {
        Vec::new()
    } else {
        return None;
    };
    state.phase = Phase::Finished;
    Some(if skipped.is_empty() {
        // The common end: the report is complete, take it under the lock already held.
        Finished::Report(state.take_report())
    } else {
        Finished::Skipping(skipped)
    })
}

/// A queue that has nothing left to run.
enum Finished {
    Report(RunReport),
    /// Tasks a failure skips, to report outside the queue's lock.
    Skipping(Vec<Task>),
}

impl Finished {
    fn into_report(self, tasks: &BackgroundTasks) -> RunReport {
        match self {
            Self::Report(report) => report,
            Self::Skipping(skipped) => settle_skipped(tasks, skipped),
        }
    }
}

/// Reports `skipped` (dropped outside the lock: their captures may do anything) and returns the
/// finished queue's report.
fn settle_skipped(tasks: &BackgroundTasks, skipped: Vec<Task>) -> RunReport {
    let reports: Vec<TaskReport> = skipped
        .into_iter()
        .map(|task| TaskReport {
            label: task.label,
            outcome: Outcome::Skipped,
        })
        .collect();
    let mut state = tasks.shared.lock();
    for report in reports {
        state.settle(report);
    }
    state.take_report()
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
    type Output = Ended;

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<Ended> {
        if let Poll::Ready(result) = std::pin::Pin::new(&mut self.work).poll(cx) {
            return Poll::Ready(ended(result));
        }
        let Some((limit, timer)) = &mut self.timeout else {
            return Poll::Pending;
        };
        if timer.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        // The caller drops this future, and the task's with it: that is the cancellation.
        Poll::Ready(Ended::TimedOut(format!(
            "cancelled after {limit:?}, its timeout"
        )))
    }
}

fn ended(result: Result<Result<(), BoxError>, String>) -> Ended {
    match result {
        Ok(returned) => Ended::Returned(returned),
        Err(message) => Ended::Panicked(message),
    }
}

/// Runs sync tasks from the front of the queue until an async task, the end, or a failure that
/// stops the queue. Runs on a blocking-pool thread: one trip for the whole run of sync tasks,
/// including sync tasks that these tasks add.
fn run_sync_batch(tasks: &BackgroundTasks, config: &Config) {
    let mut concluded: Option<TaskReport> = None;
    loop {
        let task = {
            let mut state = tasks.shared.lock();
            if let Some(report) = concluded.take() {
                state.settle_task(report);
            }
            if state.failed && config.policy == FailurePolicy::StopOnError {
                return;
            }
            match state.queue.front() {
                Some(task) if task.is_sync() => state.queue.pop_front().expect("front exists"),
                _ => return,
            }
        };
        let Task { label, work } = task;
        let Work::Sync(work) = work else {
            unreachable!("popped because sync")
        };
        let span = tracing::info_span!("background_task", task = %label, kind = "sync");
        let _entered = span.enter();
        let started = config.task_timeout.map(|_| Instant::now());
        let mut result =
            ended(catch_unwind(AssertUnwindSafe(work)).map_err(|p| panic_message(p.as_ref())));
        if let (Some(limit), Some(started), Ended::Returned(Ok(()))) =
            (config.task_timeout, started, &result)
        {
            let took = started.elapsed();
            if took > limit {
                result = Ended::TimedOut(format!(
                    "ran for {took:?}, over its {limit:?} timeout (a sync task cannot be \
                     cancelled, so it ran to its end)"
                ));
            }
        }
        concluded = Some(conclude(config, label, result));
    }
}

/// Turns how a task ended into its report entry, telling the error hook of a failure. Runs
/// outside the queue's lock, since the hook is the user's code.
fn conclude(config: &Config, label: Cow<'static, str>, ended: Ended) -> TaskReport {
    let outcome = match ended {
        Ended::Returned(Ok(())) => Outcome::Succeeded,
        Ended::Returned(Err(error)) => {
            let message = error.to_string();
            report_error(config, &label, &TaskError::Failed(error));
            Outcome::Failed(message)
        }
        Ended::Panicked(message) => {
            let outcome = Outcome::Panicked(message.clone());
            report_error(config, &label, &TaskError::Panicked(message));
            outcome
        }
        Ended::TimedOut(message) => {
            let outcome = Outcome::TimedOut(message.clone());
            report_error(config, &label, &TaskError::TimedOut(message));
            outcome
        }
    };
    TaskReport { label, outcome }
}

/// Reports every task still queued as abandoned and closes the queue.
fn abandon(tasks: &BackgroundTasks, config: &Config, reason: &str) {
    let left: Vec<Task> = {
        let mut state = tasks.shared.lock();
        state.phase = Phase::Finished;
        state.queue.take_all()
    };
    settle_abandoned(tasks, config, left, reason);
}

/// A shutdown deadline passed: abandons what `tasks` has not started. Returns how many tasks that
/// was, and whether the queue is still running a task (which cannot be stopped from here).
fn abandon_for_shutdown(tasks: &BackgroundTasks, config: &Config) -> (usize, bool) {
    let (left, running) = {
        let mut state = tasks.shared.lock();
        let running = match state.phase {
            Phase::Open => {
                // Still waiting for a slot: its run will find it closed and report it.
                state.phase = Phase::Abandoned;
                false
            }
            Phase::Running => true,
            _ => return (0, false),
        };
        (state.queue.take_all(), running)
    };
    let count = left.len();
    let reports = abandoned_reports(
        config,
        left,
        "the shutdown deadline passed before it started",
    );
    let mut state = tasks.shared.lock();
    for report in reports {
        if running {
            // Counted now, reported after the task that is still running.
            if let Some(lifecycle) = &state.lifecycle {
                lifecycle.counters.settled(&report.outcome, 1);
            }
            state.abandoned_after_current.push(report);
        } else {
            state.settle(report);
        }
    }
    (count, running)
}

fn settle_abandoned(tasks: &BackgroundTasks, config: &Config, left: Vec<Task>, reason: &str) {
    let reports = abandoned_reports(config, left, reason);
    let mut state = tasks.shared.lock();
    for report in reports {
        state.settle(report);
    }
}

/// Reports each task to the error hook as abandoned, and makes its report entry.
fn abandoned_reports(config: &Config, left: Vec<Task>, reason: &str) -> Vec<TaskReport> {
    left.into_iter()
        .map(|task| {
            report_error(
                config,
                &task.label,
                &TaskError::Abandoned(reason.to_owned()),
            );
            TaskReport {
                label: task.label,
                outcome: Outcome::Abandoned(reason.to_owned()),
            }
        })
        .collect()
}

fn report_error(config: &Config, label: &str, error: &TaskError) {
    match &config.on_error {
        Some(hook) => {
            // A broken hook must not take the queue (or the blocking thread) down with it.
            if let Err(payload) = catch_unwind(AssertUnwindSafe(|| hook(label, error))) {
                tracing::error!(
                    task = label,
                    %error,
                    hook_panic = %panic_message(payload.as_ref()),
                    "background task error hook panicked"
                );
            }
        }
        None => tracing::error!(task = label, %error, "background task did not succeed"),
    }
}

struct AbandonOnDrop<'a> {
    tasks: BackgroundTasks,
    config: &'a Config,
    started: bool,
    // The async task being awaited: cancelling the run cancels it half-way.
    in_flight: Option<Cow<'static, str>>,
    armed: bool,
}

impl<'a> AbandonOnDrop<'a> {
    fn new(tasks: BackgroundTasks, config: &'a Config) -> Self {
        Self {
            tasks,
            config,
            started: false,
            in_flight: None,
            armed: true,
        }
    }
}

impl Drop for AbandonOnDrop<'_> {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        if !self.started {
            // Dropped before its first poll, or while refusing a second run of a queue that
            // someone else runs: only an untouched queue is this run's to abandon.
            if self.tasks.shared.lock().phase == Phase::Open {
                abandon(
                    &self.tasks,
                    self.config,
                    "the run was dropped before it started",
                );
            }
            return;
        }
        if let Some(label) = self.in_flight.take() {
            let reason = "the run was cancelled while this task was running";
            report_error(
                self.config,
                &label,
                &TaskError::Abandoned(reason.to_owned()),
            );
            let outcome = Outcome::Abandoned(reason.to_owned());
            let mut state = self.tasks.shared.lock();
            state.settle(TaskReport { label, outcome });
        }
        abandon(
            &self.tasks,
            self.config,
            "the run was cancelled before reaching this task",
        );
    }
}
