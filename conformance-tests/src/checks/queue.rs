//! C1 to C3: one queue per request, shared by its clones; sync and async tasks returning `()` or
//! `Result`; adding is cheap, and a queue of 100,000 tasks runs in order with one report each.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use background_tasks::{BackgroundTasks, FailurePolicy, Outcome, Runner};

use crate::doubles::RecordingExecutor;
use crate::harness::{Harness, Rng, yield_now};

use super::{Log, entries, push, run_spawned};

/// C1: clones of a queue share it; tasks from every clone run in the order they were added.
pub fn c01_clones_share_one_queue<H: Harness>() {
    let harness = H::new();
    let log = Log::default();
    let tasks = BackgroundTasks::new();
    let dependency = tasks.clone();
    assert!(background_tasks::integration::same_queue(
        &tasks,
        &dependency
    ));

    let l = log.clone();
    dependency.add_task(move || push(&l, "added by the dependency"));
    let l = log.clone();
    tasks.add_async_task(async move { push(&l, "added by the handler") });
    let l = log.clone();
    dependency.add_task(move || push(&l, "added by the dependency again"));
    assert_eq!(tasks.len(), 3);
    assert!(!background_tasks::integration::same_queue(
        &BackgroundTasks::new(),
        &tasks
    ));

    let report = run_spawned(&harness, Runner::new(harness.executor()), tasks);
    assert!(report.is_success(), "{report:?}");
    assert_eq!(
        entries(&log),
        [
            "added by the dependency",
            "added by the handler",
            "added by the dependency again"
        ]
    );
}

fn flush_audit_log() {}

async fn async_cleanup(filename: &'static str) -> Result<(), String> {
    yield_now().await;
    Err(format!("{filename} is still open"))
}

/// C2: sync closures and futures, returning `()` or `Result<(), E>`, with arguments captured; the
/// default label names the function.
pub fn c02_sync_and_async_tasks_return_unit_or_result<H: Harness>() {
    let harness = H::new();
    let tasks = BackgroundTasks::new();
    let email = String::from("ada@example.com");
    tasks.add_task(flush_audit_log);
    tasks.add_task(move || -> Result<(), std::io::Error> {
        assert_eq!(email, "ada@example.com");
        Ok(())
    });
    tasks.add_task(|| Err::<(), _>(std::io::Error::other("disk full")));
    tasks.add_async_task(async {});
    tasks.add_async_task(async { Ok::<(), String>(()) });
    tasks.add_async_task(async_cleanup("upload.tmp"));

    let runner = Runner::new(harness.executor()).failure_policy(FailurePolicy::ContinueOnError);
    let report = run_spawned(&harness, runner, tasks);
    let got: Vec<Outcome> = report.tasks().iter().map(|t| t.outcome.clone()).collect();
    assert_eq!(
        got,
        [
            Outcome::Succeeded,
            Outcome::Succeeded,
            Outcome::Failed("disk full".into()),
            Outcome::Succeeded,
            Outcome::Succeeded,
            Outcome::Failed("upload.tmp is still open".into()),
        ]
    );
    assert!(report.tasks()[0].label.ends_with("flush_audit_log"));
    assert!(report.tasks()[5].label.contains("async_cleanup"));
}

/// Counts the tasks that exist: made with each task, dropped with it.
struct Alive(Arc<AtomicUsize>);

impl Alive {
    fn new(count: &Arc<AtomicUsize>) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        Self(count.clone())
    }
}

impl Drop for Alive {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A future that keeps its [`Alive`] until it is dropped, not merely until it completes, as a
/// hand-written future holding a buffer or a connection would.
struct Holding<F> {
    future: F,
    _alive: Alive,
}

impl<F: Future + Unpin> Future for Holding<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        Pin::new(&mut self.future).poll(cx)
    }
}

/// C3, C4, C6 and C20 at volume: one queue of 100,000 tasks, sync and async in runs of random
/// length (seeded), each checking that it runs in its place. Every task runs once, in order; each
/// task is freed once it has run, so the queue holds what is left to do, not what was done (the
/// memory a long queue takes shrinks as it runs); consecutive sync tasks share blocking trips; the
/// report has one entry per task, and the counters add up.
pub fn c03_a_queue_of_100000_tasks_runs_in_order_with_one_report_each<H: Harness>() {
    const TASKS: usize = 100_000;
    const SEED: u64 = 0xc03_5eed;
    let harness = H::new();
    let recorder = RecordingExecutor::new(harness.executor());
    let runner = Runner::new(recorder.clone());
    let next = Arc::new(AtomicUsize::new(0));
    let misplaced = Arc::new(AtomicUsize::new(0));
    // Tasks in existence, and the most that existed beyond those not yet run.
    let alive = Arc::new(AtomicUsize::new(0));
    let retained = Arc::new(AtomicUsize::new(0));

    let tasks = runner.queue();
    let mut rng = Rng::new(SEED);
    let (mut added, mut sync_tasks, mut sync_runs, mut sync) = (0, 0, 0, false);
    while added < TASKS {
        sync = !sync;
        let run = (1 + rng.below(16) as usize).min(TASKS - added);
        if sync {
            sync_runs += 1;
            sync_tasks += run;
        }
        for i in added..added + run {
            let (next, misplaced, count, retained) = (
                next.clone(),
                misplaced.clone(),
                alive.clone(),
                retained.clone(),
            );
            let guard = Alive::new(&alive);
            let check = move || {
                if next.fetch_add(1, Ordering::SeqCst) != i {
                    misplaced.fetch_add(1, Ordering::SeqCst);
                }
                // If finished tasks are freed, this one and the ones after it exist, no more.
                let held = count.load(Ordering::SeqCst).saturating_sub(TASKS - i);
                retained.fetch_max(held, Ordering::SeqCst);
            };
            match (sync, i % 3) {
                (true, _) => tasks.add_task(move || {
                    check();
                    drop(guard);
                }),
                (false, 0) => tasks.add_async_task(async move {
                    yield_now().await;
                    check();
                    drop(guard);
                }),
                (false, _) => tasks.add_async_task(Holding {
                    future: Box::pin(async move { check() }),
                    _alive: guard,
                }),
            }
        }
        added += run;
    }
    assert_eq!(tasks.len(), TASKS);

    let report = run_spawned(&harness, runner.clone(), tasks);
    assert_eq!(report.tasks().len(), TASKS, "one report entry per task");
    let not_succeeded: Vec<_> = report
        .tasks()
        .iter()
        .enumerate()
        .filter(|(_, task)| task.outcome != Outcome::Succeeded)
        .take(5)
        .collect();
    assert!(
        not_succeeded.is_empty(),
        "first failures: {not_succeeded:?}"
    );
    assert_eq!(next.load(Ordering::SeqCst), TASKS, "every task ran once");
    assert_eq!(
        misplaced.load(Ordering::SeqCst),
        0,
        "tasks ran out of their queue's order"
    );
    assert!(
        retained.load(Ordering::SeqCst) <= 1,
        "up to {} tasks that had already run were still held while the queue ran",
        retained.load(Ordering::SeqCst)
    );
    assert_eq!(alive.load(Ordering::SeqCst), 0, "every task was freed");
    // C6 allows batching without requiring it: never more than one trip per sync task, and at
    // least one per run of them.
    let trips = recorder.blocking_trips();
    assert!(
        (sync_runs..=sync_tasks).contains(&trips),
        "{trips} blocking trips for {sync_tasks} sync tasks in {sync_runs} runs"
    );
    let metrics = runner.metrics();
    assert_eq!(
        (metrics.queued, metrics.succeeded, metrics.settled()),
        (TASKS as u64, TASKS as u64, TASKS as u64),
        "{metrics:?}"
    );
}
