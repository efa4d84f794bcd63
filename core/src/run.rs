//! The runner: drains a queue in order on an [`Executor`], under a [`FailurePolicy`], reporting
//! failures to an error hook.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use crate::executor::Executor;
use crate::queue::{BackgroundTasks, Phase};
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
    config: Config,
}

#[derive(Clone)]
pub(crate) struct Config {
    policy: FailurePolicy,
    on_error: Option<ErrorHook>,
}

static DEFAULT_CONFIG: Config = Config {
    policy: FailurePolicy::StopOnError,
    on_error: None,
};

impl<E: Executor> Runner<E> {
    /// A runner with the default policy ([`FailurePolicy::StopOnError`]) and error hook (a
    /// `tracing` error event per failure).
    pub fn new(executor: E) -> Self {
        Self {
            executor,
            config: DEFAULT_CONFIG.clone(),
        }
    }

    /// Sets what a queue does after a task fails.
    #[must_use = "policy returns the configured runner"]
    pub fn policy(mut self, policy: FailurePolicy) -> Self {
        self.config.policy = policy;
        self
    }

    /// Replaces the default error hook. It runs on whichever thread the failing task ran on, so
    /// keep it short; a panic inside it is caught and logged.
    #[must_use = "on_error returns the configured runner"]
    pub fn on_error<F>(mut self, hook: F) -> Self
    where
        F: Fn(&str, &TaskError) + Send + Sync + 'static,
    {
        self.config.on_error = Some(Arc::new(hook));
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
    Done(Vec<Task>),
}

pub(crate) fn drive<'a, E: Executor + ?Sized>(
    tasks: BackgroundTasks,
    executor: &'a E,
    config: &'a Config,
) -> impl Future<Output = RunReport> + Send + 'a {
    // Armed before the first poll: a run spawned on a runtime that shuts down before polling it
    // must not lose its queue in silence either.
    let guard = AbandonOnDrop {
        tasks,
        config,
        in_flight: None,
        started: false,
        armed: true,
    };
    run_queue(guard, executor, config)
}

async fn run_queue<E: Executor + ?Sized>(
    mut guard: AbandonOnDrop<'_>,
    executor: &E,
    config: &Config,
) -> RunReport {
    let tasks = guard.tasks.clone();
    {
        let mut state = tasks.shared.lock();
        assert!(
            state.phase == Phase::Open,
            "a BackgroundTasks queue runs at most once, but this one {}",
            match state.phase {
                Phase::Running => "is already running",
                Phase::Finished => "already ran",
                _ => "was discarded",
            }
        );
        state.phase = Phase::Running;
    }
    // From here, cancelling the run (dropping this future) abandons what is left, loudly.
    guard.started = true;
    loop {
        let next = {
            let mut state = tasks.shared.lock();
            if state.failed && config.policy == FailurePolicy::StopOnError {
                state.phase = Phase::Finished;
                Next::Done(state.queue.drain(..).collect())
            } else {
                match state.queue.front() {
                    None => {
                        state.phase = Phase::Finished;
                        Next::Done(Vec::new())
                    }
                    Some(task) if task.is_sync() => Next::Sync,
                    Some(_) => Next::Async(state.queue.pop_front().expect("front exists")),
                }
            }
        };
        match next {
            Next::Async(Task { label, work }) => {
                let Work::Async(future) = work else {
                    unreachable!("popped because async")
                };
                guard.in_flight = Some(label);
                let result = CatchUnwind { future }.await;
                let label = guard.in_flight.take().expect("set before the await");
                record(&tasks, config, label, result);
            }
            Next::Sync => {
                let batch = {
                    let tasks = tasks.clone();
                    let config = config.clone();
                    Box::new(move || run_sync_batch(&tasks, &config))
                };
                if let Err(error) = executor.spawn_blocking(batch).await {
                    // The batch pops its own tasks, so whatever it did not reach is still queued.
                    guard.armed = false;
                    abandon(&tasks, config, &error.to_string());
                    break;
                }
            }
            Next::Done(skipped) => {
                guard.armed = false;
                let reports: Vec<TaskReport> = skipped
                    .into_iter()
                    .map(|task| TaskReport {
                        label: task.label,
                        outcome: Outcome::Skipped,
                    })
                    .collect();
                tasks.shared.lock().reports.extend(reports);
                break;
            }
        }
    }
    RunReport {
        tasks: std::mem::take(&mut tasks.shared.lock().reports),
    }
}

/// Runs sync tasks from the front of the queue until an async task, the end, or a failure that
/// stops the queue. Runs on a blocking-pool thread: one trip for the whole run of sync tasks,
/// including sync tasks that these tasks add.
fn run_sync_batch(tasks: &BackgroundTasks, config: &Config) {
    loop {
        let task = {
            let mut state = tasks.shared.lock();
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
        let result = catch_unwind(AssertUnwindSafe(work)).map_err(|p| panic_message(p.as_ref()));
        record(tasks, config, label, result);
    }
}

fn record(
    tasks: &BackgroundTasks,
    config: &Config,
    label: Cow<'static, str>,
    result: Result<Result<(), BoxError>, String>,
) {
    let outcome = match result {
        Ok(Ok(())) => Outcome::Succeeded,
        Ok(Err(error)) => {
            let message = error.to_string();
            report_error(config, &label, &TaskError::Failed(error));
            Outcome::Failed(message)
        }
        Err(message) => {
            let outcome = Outcome::Panicked(message.clone());
            report_error(config, &label, &TaskError::Panicked(message));
            outcome
        }
    };
    let mut state = tasks.shared.lock();
    state.failed |= outcome.is_failure();
    state.reports.push(TaskReport { label, outcome });
}

/// Reports every task still queued as abandoned and closes the queue.
fn abandon(tasks: &BackgroundTasks, config: &Config, reason: &str) {
    let left: Vec<Task> = {
        let mut state = tasks.shared.lock();
        state.phase = Phase::Finished;
        state.queue.drain(..).collect()
    };
    let mut reports = Vec::with_capacity(left.len());
    for task in left {
        report_error(
            config,
            &task.label,
            &TaskError::Abandoned(reason.to_owned()),
        );
        reports.push(TaskReport {
            label: task.label,
            outcome: Outcome::Abandoned(reason.to_owned()),
        });
    }
    tasks.shared.lock().reports.extend(reports);
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
            state.reports.push(TaskReport { label, outcome });
        }
        abandon(
            &self.tasks,
            self.config,
            "the run was cancelled before reaching this task",
        );
    }
}
