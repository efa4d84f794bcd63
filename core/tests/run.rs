//! Runner behaviour that needs no runtime: cancellation, discarding, a broken error hook.

use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use background_tasks::{
    BackgroundTasks, BlockingError, BlockingJob, BoxFuture, Executor, FailurePolicy, Outcome,
    RunReport, Runner, Task,
};

/// Runs blocking jobs inline: enough for behaviour that does not depend on threads.
#[derive(Debug, Clone)]
struct Inline;

impl Executor for Inline {
    fn spawn(&self, _: BoxFuture<()>) {
        unreachable!("these tests poll runs themselves")
    }

    fn spawn_blocking(&self, job: BlockingJob) -> BoxFuture<Result<(), BlockingError>> {
        job();
        Box::pin(async { Ok(()) })
    }
}

fn poll_once<F: Future>(future: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(Waker::noop()))
}

fn run_to_end(tasks: BackgroundTasks, runner: &Runner<Inline>) -> background_tasks::RunReport {
    let mut run = pin!(runner.run(tasks));
    match poll_once(run.as_mut()) {
        Poll::Ready(report) => report,
        Poll::Pending => panic!("these queues never wait"),
    }
}

#[test]
fn c07_cancelling_a_run_reports_what_it_did_not_finish() {
    let hooked = Arc::new(Mutex::new(Vec::new()));
    let h = hooked.clone();
    let runner = Runner::new(Inline).on_error(move |label, error| {
        h.lock().unwrap().push(format!("{label}: {error}"));
    });
    let tasks = BackgroundTasks::new();
    tasks.add(Task::sync(|| ()).with_label("done"));
    tasks.add(Task::future(std::future::pending::<()>()).with_label("in flight"));
    tasks.add(Task::sync(|| ()).with_label("waiting"));
    let late = tasks.clone();
    {
        let mut run = pin!(runner.run(tasks));
        assert!(poll_once(run.as_mut()).is_pending());
    } // cancelled here, as when a runtime shuts down
    assert_eq!(
        *hooked.lock().unwrap(),
        [
            "in flight: task abandoned: the run was cancelled while this task was running",
            "waiting: task abandoned: the run was cancelled before reaching this task",
        ]
    );
    assert!(
        late.try_add(Task::sync(|| ())).is_err(),
        "the queue is closed"
    );
}

#[test]
fn c07_a_run_dropped_before_its_first_poll_reports_its_queue() {
    let hooked = Arc::new(Mutex::new(Vec::new()));
    let h = hooked.clone();
    let runner = Runner::new(Inline).on_error(move |label, error| {
        h.lock().unwrap().push(format!("{label}: {error}"));
    });
    let tasks = BackgroundTasks::new();
    tasks.add(Task::sync(|| ()).with_label("email"));
    let late = tasks.clone();
    drop(runner.run(tasks)); // as when a runtime shuts down before polling a spawned run
    assert_eq!(
        *hooked.lock().unwrap(),
        ["email: task abandoned: the run was dropped before it started"]
    );
    assert!(
        late.try_add(Task::sync(|| ())).is_err(),
        "the queue is closed"
    );
}

#[test]
fn c07_closing_an_empty_queue_refuses_later_tasks() {
    let tasks = BackgroundTasks::new();
    assert!(background_tasks::integration::close_if_empty(&tasks));
    let refused = tasks.try_add(Task::sync(|| ())).unwrap_err();
    assert!(refused.to_string().contains("after its queue finished"));

    let busy = BackgroundTasks::new();
    busy.add_task(|| ());
    assert!(
        !background_tasks::integration::close_if_empty(&busy),
        "a queue with tasks needs a run"
    );
    assert!(run_to_end(busy, &Runner::new(Inline)).is_success());
}

#[test]
fn c07_a_queue_dropped_without_a_run_counts_its_tasks_as_abandoned() {
    let runner = Runner::new(Inline);
    let tasks = runner.queue();
    tasks.add_task(|| ());
    tasks.add_async_task(async {});
    drop(tasks); // never run nor discarded: a warning is logged and the counters say so
    let metrics = runner.metrics();
    assert_eq!((metrics.queued, metrics.abandoned), (2, 2));
    assert_eq!(metrics.settled(), metrics.queued);
}

#[test]
fn c12_discarding_reports_every_task_and_closes_the_queue() {
    let tasks = BackgroundTasks::new();
    tasks.add(Task::sync(|| ()).with_label("email"));
    tasks.add(Task::future(async {}).with_label("cleanup"));
    let late = tasks.clone();
    let report = tasks.discard();
    let got: Vec<_> = report
        .tasks()
        .iter()
        .map(|t| (t.label.as_ref(), t.outcome.clone()))
        .collect();
    assert_eq!(
        got,
        [
            ("email", Outcome::Discarded),
            ("cleanup", Outcome::Discarded)
        ]
    );
    let refused = late.try_add(Task::sync(|| ())).unwrap_err();
    assert!(refused.to_string().contains("discarded queue"), "{refused}");
}

#[test]
fn c14_a_panicking_error_hook_does_not_stop_the_queue() {
    let runner = Runner::new(Inline)
        .failure_policy(FailurePolicy::ContinueOnError)
        .on_error(|_, _| panic!("broken hook"));
    let ran = Arc::new(Mutex::new(0));
    let tasks = BackgroundTasks::new();
    tasks.add_task(|| Err::<(), _>("first"));
    tasks.add_async_task(async { Err::<(), _>("second") });
    let r = ran.clone();
    tasks.add_task(move || *r.lock().unwrap() += 1);
    let report = run_to_end(tasks, &runner);
    assert_eq!(report.count(Outcome::is_failure), 2);
    assert_eq!(*ran.lock().unwrap(), 1);
}

#[test]
fn c20_an_empty_queue_runs_to_an_empty_report() {
    let report = run_to_end(BackgroundTasks::new(), &Runner::new(Inline));
    assert!(report.tasks().is_empty());
    assert!(report.is_success());
}

/// Hands `tasks` to `runner.spawn` on an executor that settles it before returning (it runs jobs
/// inline or drops what it is given), and returns the report `on_done` got.
fn spawn_now<E: Executor + Clone>(runner: &Runner<E>, tasks: BackgroundTasks) -> RunReport {
    let delivered = Arc::new(Mutex::new(None));
    let d = delivered.clone();
    runner.spawn(tasks, move |report| *d.lock().unwrap() = Some(report));
    let report = delivered.lock().unwrap().take();
    report.expect("the report was delivered")
}

fn outcomes(report: &RunReport) -> Vec<Outcome> {
    report.tasks().iter().map(|t| t.outcome.clone()).collect()
}

/// An executor whose runtime is gone: it drops every future and job it is given, unrun.
#[derive(Debug, Clone)]
struct Gone;

impl Executor for Gone {
    fn spawn(&self, future: BoxFuture<()>) {
        drop(future);
    }

    fn spawn_blocking(&self, job: BlockingJob) -> BoxFuture<Result<(), BlockingError>> {
        drop(job);
        Box::pin(async { Err(BlockingError::Cancelled) })
    }

    fn spawn_blocking_detached(&self, job: BlockingJob) {
        drop(job);
    }
}

#[test]
fn c07_a_spawned_run_dropped_unrun_still_delivers_its_report() {
    let runner = Runner::new(Gone);
    // One queue starts as an async task, the other on the blocking pool: both are dropped unrun.
    for first in [Task::future(async {}), Task::sync(|| ())] {
        let tasks = BackgroundTasks::new();
        tasks.add(first.with_label("first"));
        tasks.add(Task::sync(|| ()).with_label("second"));
        let lost = Outcome::Abandoned(background_tasks::AbandonReason::DroppedBeforeStart);
        assert_eq!(outcomes(&spawn_now(&runner, tasks)), [lost.clone(), lost]);
    }
    let metrics = runner.metrics();
    assert_eq!((metrics.queued, metrics.abandoned), (4, 4));
    assert_eq!((metrics.waiting, metrics.running), (0, 0));
}

/// Runs blocking jobs, detached or not, inline; drops every future it is asked to spawn.
#[derive(Debug, Clone)]
struct PoolOnly;

impl Executor for PoolOnly {
    fn spawn(&self, future: BoxFuture<()>) {
        drop(future);
    }

    fn spawn_blocking(&self, job: BlockingJob) -> BoxFuture<Result<(), BlockingError>> {
        job();
        Box::pin(async { Ok(()) })
    }

    fn spawn_blocking_detached(&self, job: BlockingJob) {
        job();
    }
}

#[test]
fn c07_a_run_dropped_between_the_pool_and_its_async_tasks_delivers_its_report() {
    let hooked = Arc::new(Mutex::new(Vec::new()));
    let h = hooked.clone();
    let runner = Runner::new(PoolOnly).on_error(move |label, error| {
        h.lock().unwrap().push(format!("{label}: {error}"));
    });
    let tasks = BackgroundTasks::new();
    tasks.add(Task::sync(|| ()).with_label("on the pool"));
    tasks.add(Task::future(async {}).with_label("async"));
    // The sync task runs on the "pool"; the async task's continuation is dropped unpolled.
    let report = spawn_now(&runner, tasks);
    let lost = "the run was dropped before it resumed";
    assert_eq!(
        outcomes(&report),
        [
            Outcome::Succeeded,
            Outcome::Abandoned(background_tasks::AbandonReason::DroppedBeforeResume)
        ]
    );
    assert_eq!(
        *hooked.lock().unwrap(),
        [format!("async: task abandoned: {lost}")]
    );
    let metrics = runner.metrics();
    assert_eq!((metrics.succeeded, metrics.abandoned), (1, 1));
    assert_eq!((metrics.waiting, metrics.running), (0, 0));
}
