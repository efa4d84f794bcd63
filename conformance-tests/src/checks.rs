//! The executor-level checks, one public function per behaviour, named after the contract clause it
//! proves (`c04_…` proves C4). Each builds a fresh runtime with [`Harness::new`].

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::task::{Context, Poll};
use std::thread::ThreadId;

use background_tasks::{
    BackgroundTasks, BlockingError, Executor, FailurePolicy, Outcome, RunReport, Runner, Task,
    TaskError,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::doubles::{CancellingExecutor, RecordingExecutor};
use crate::harness::{
    DELIBERATE, End, Harness, Kind, Rng, assert_unwind_safe, quiet_deliberate_panics, recv,
    yield_now,
};
pub use crate::lifecycle::{
    c16_shutdown_deadline_abandons_what_did_not_start,
    c16_shutdown_deadline_cuts_a_queue_started_on_the_blocking_pool, c16_shutdown_refuses_new_work,
    c16_shutdown_waits_for_running_and_waiting_queues,
    c17_max_running_limits_queues_and_drops_none, c18_overrunning_tasks_are_reported,
    c19_metrics_account_for_every_task,
};

type Log = Arc<Mutex<Vec<String>>>;

fn push(log: &Log, entry: impl Into<String>) {
    log.lock().unwrap().push(entry.into());
}

fn entries(log: &Log) -> Vec<String> {
    log.lock().unwrap().clone()
}

/// Hands the queue to [`Runner::spawn`], as the HTTP layer does, and waits for its report.
fn run_spawned<H: Harness, E: Executor + Clone>(
    harness: &H,
    runner: Runner<E>,
    tasks: BackgroundTasks,
) -> RunReport {
    let (report, reported) = futures_channel::oneshot::channel();
    runner.spawn(tasks, move |run| {
        let _ = report.send(run);
    });
    harness
        .block_on(reported)
        .expect("the run dropped its report instead of delivering it")
}

/// The thread the harness's (one) async worker runs spawned futures on.
fn async_worker<H: Harness>(harness: &H) -> ThreadId {
    let (probe, probed) = futures_channel::oneshot::channel();
    harness.executor().spawn(Box::pin(async move {
        let _ = probe.send(std::thread::current().id());
    }));
    harness.block_on(probed).expect("the probe ran")
}

fn outcomes(report: &RunReport) -> Vec<(String, Outcome)> {
    report
        .tasks()
        .iter()
        .map(|t| (t.label.to_string(), t.outcome.clone()))
        .collect()
}

/// A hook that records `label: error` for every failure it is told about.
fn recording_hook(seen: &Log) -> impl Fn(&str, &TaskError) + Send + Sync + 'static {
    let seen = seen.clone();
    move |label, error| push(&seen, format!("{label}: {error}"))
}

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

    let runner = Runner::new(harness.executor()).policy(FailurePolicy::ContinueOnError);
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

/// C4: task n+1 starts only after task n has ended, even when async tasks yield mid-way.
pub fn c04_one_task_at_a_time<H: Harness>() {
    let harness = H::new();
    let running = Arc::new(AtomicUsize::new(0));
    let overlaps = Arc::new(AtomicUsize::new(0));
    let tasks = BackgroundTasks::new();
    for i in 0..12 {
        let (running, overlaps) = (running.clone(), overlaps.clone());
        if i % 3 == 0 {
            tasks.add_task(move || {
                if running.fetch_add(1, Ordering::SeqCst) != 0 {
                    overlaps.fetch_add(1, Ordering::SeqCst);
                }
                running.fetch_sub(1, Ordering::SeqCst);
            });
        } else {
            tasks.add_async_task(async move {
                if running.fetch_add(1, Ordering::SeqCst) != 0 {
                    overlaps.fetch_add(1, Ordering::SeqCst);
                }
                // Give a runner that wrongly starts the next task now every chance to do so.
                for _ in 0..3 {
                    yield_now().await;
                }
                running.fetch_sub(1, Ordering::SeqCst);
            });
        }
    }
    let report = run_spawned(&harness, Runner::new(harness.executor()), tasks);
    assert!(report.is_success(), "{report:?}");
    assert_eq!(overlaps.load(Ordering::SeqCst), 0, "tasks overlapped");
}

/// C4: a queue runs at most once; a second run is refused loudly.
pub fn c04_a_queue_runs_at_most_once<H: Harness>() {
    let harness = H::new();
    let executor = harness.executor();
    let tasks = BackgroundTasks::new();
    let runs = Arc::new(AtomicUsize::new(0));
    let r = runs.clone();
    tasks.add_task(move || {
        r.fetch_add(1, Ordering::SeqCst);
    });
    let again = tasks.clone();
    assert!(harness.block_on(tasks.run(&executor)).is_success());
    let second = assert_unwind_safe(|| harness.block_on(again.run(&executor)));
    let message = *second
        .expect_err("a second run must be refused")
        .downcast::<String>()
        .expect("a formatted message");
    assert!(message.contains("runs at most once"), "{message}");
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

#[derive(Debug, Clone, Copy)]
struct Spec {
    id: usize,
    kind: Kind,
    end: End,
    /// A task this one adds to its own queue when it starts (C7).
    child: Option<(Kind, End)>,
}

fn arb_kind() -> impl Strategy<Value = Kind> {
    prop_oneof![Just(Kind::Sync), Just(Kind::Async)]
}

fn arb_end() -> impl Strategy<Value = End> {
    prop_oneof![6 => Just(End::Succeed), 1 => Just(End::Fail), 1 => Just(End::Panic)]
}

fn arb_specs() -> impl Strategy<Value = Vec<Spec>> {
    proptest::collection::vec(
        (
            arb_kind(),
            arb_end(),
            proptest::option::weighted(0.25, (arb_kind(), arb_end())),
        ),
        0..14,
    )
    .prop_map(|specs| {
        specs
            .into_iter()
            .enumerate()
            .map(|(id, (kind, end, child))| Spec {
                id,
                kind,
                end,
                child,
            })
            .collect()
    })
}

fn child_id(parent: usize) -> usize {
    1000 + parent
}

fn build_task(spec: Spec, queue: &BackgroundTasks, log: &Log) -> Task {
    let (queue, log) = (queue.clone(), log.clone());
    let Spec {
        id,
        kind,
        end,
        child,
    } = spec;
    let start = move || {
        push(&log, format!("t{id}"));
        if let Some((kind, end)) = child {
            let child = Spec {
                id: child_id(id),
                kind,
                end,
                child: None,
            };
            queue.add(build_task(child, &queue, &log));
        }
    };
    let label = format!("t{id}");
    let own = label.clone();
    let task = match kind {
        Kind::Sync => Task::sync(move || {
            start();
            end.finish(&own)
        }),
        Kind::Async => Task::future(async move {
            start();
            yield_now().await;
            end.finish(&own)
        }),
    };
    task.with_label(label)
}

/// What the contract says must happen: FIFO, children at the tail, failures stopping the queue
/// under [`FailurePolicy::StopOnError`].
fn model(specs: &[Spec], policy: FailurePolicy) -> (Vec<String>, Vec<(String, Outcome)>) {
    let mut queue: VecDeque<Spec> = specs.iter().copied().collect();
    let (mut ran, mut report, mut failed) = (Vec::new(), Vec::new(), false);
    while let Some(spec) = queue.pop_front() {
        let label = format!("t{}", spec.id);
        if failed && policy == FailurePolicy::StopOnError {
            report.push((label, Outcome::Skipped));
            continue;
        }
        ran.push(label.clone());
        if let Some((kind, end)) = spec.child {
            queue.push_back(Spec {
                id: child_id(spec.id),
                kind,
                end,
                child: None,
            });
        }
        let outcome = spec.end.outcome(&label);
        failed |= outcome.is_failure();
        report.push((label, outcome));
    }
    (ran, report)
}

/// C4, C7, C14, C15, C20 as one property: for random queues of sync and async tasks that succeed,
/// fail or panic, and add tasks to their own queue, under both policies, the execution order, the
/// report and the error hook's calls are exactly what the contract's model predicts.
pub fn c04_fifo_order_across_sync_and_async<H: Harness>() {
    quiet_deliberate_panics();
    let harness = H::new();
    let mut runner = TestRunner::new(Config {
        cases: 64,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&(arb_specs(), any::<bool>()), |(specs, keep_going)| {
        let policy = if keep_going {
            FailurePolicy::ContinueOnError
        } else {
            FailurePolicy::StopOnError
        };
        let (log, hooked) = (Log::default(), Log::default());
        let tasks = BackgroundTasks::new();
        for spec in &specs {
            tasks.add(build_task(*spec, &tasks, &log));
        }
        let runner = Runner::new(harness.executor())
            .policy(policy)
            .on_error(recording_hook(&hooked));
        let report = run_spawned(&harness, runner, tasks);

        let (expected_ran, expected_report) = model(&specs, policy);
        prop_assert_eq!(entries(&log), expected_ran);
        prop_assert_eq!(outcomes(&report), expected_report.clone());
        let expected_hooked: Vec<String> = expected_report
            .iter()
            .filter(|(_, outcome)| outcome.is_failure())
            .map(|(label, outcome)| match outcome {
                Outcome::Failed(m) => format!("{label}: task failed: {m}"),
                Outcome::Panicked(m) => format!("{label}: task panicked: {m}"),
                _ => unreachable!(),
            })
            .collect();
        prop_assert_eq!(entries(&hooked), expected_hooked);
        Ok(())
    });
    if let Err(error) = result {
        panic!("{error}");
    }
}

/// C5: sync tasks run on a thread that is not the async worker; async tasks run on the worker
/// that the executor polls spawned futures on.
pub fn c05_sync_tasks_run_off_the_async_worker<H: Harness>() {
    let harness = H::new();
    let executor = harness.executor();
    let worker = async_worker(&harness);

    // A queue starting with an async task starts on a worker, one starting with a sync task on
    // the blocking pool: both must put each task on its own side.
    let async_first = [Kind::Async, Kind::Sync, Kind::Sync, Kind::Async, Kind::Sync];
    let sync_first = [Kind::Sync, Kind::Async, Kind::Sync, Kind::Sync, Kind::Async];
    for kinds in [async_first, sync_first] {
        let (seen, sightings) = mpsc::channel::<(Kind, ThreadId)>();
        let tasks = BackgroundTasks::new();
        for kind in kinds {
            let seen = seen.clone();
            let note = move || seen.send((kind, std::thread::current().id())).unwrap();
            match kind {
                Kind::Sync => tasks.add_task(note),
                Kind::Async => tasks.add_async_task(async move { note() }),
            }
        }
        let report = run_spawned(&harness, Runner::new(executor.clone()), tasks);
        assert!(report.is_success(), "{report:?}");
        for _ in kinds {
            let (kind, thread) = recv(&sightings, "a task's thread");
            match kind {
                Kind::Async => assert_eq!(thread, worker, "an async task ran off the executor"),
                Kind::Sync => assert_ne!(thread, worker, "a sync task ran on the async worker"),
            }
        }
    }
}

/// C5: while a sync task blocks, async work on the same (one-worker) executor still runs: the sync
/// task waits for an async probe it spawned, which can only finish if the worker is free.
pub fn c05_blocking_sync_task_does_not_stall_async_work<H: Harness>() {
    let harness = H::new();
    let executor = harness.executor();
    let tasks = BackgroundTasks::new();
    let spawner = executor.clone();
    tasks.add_task(move || -> Result<(), String> {
        let (done, probe_finished) = mpsc::channel();
        spawner.spawn(Box::pin(async move {
            yield_now().await;
            let _ = done.send(());
        }));
        probe_finished
            .recv_timeout(std::time::Duration::from_secs(10))
            .map_err(|_| "an async task could not run while this sync task blocked".to_owned())
    });
    let report = run_spawned(&harness, Runner::new(executor), tasks);
    assert!(report.is_success(), "{report:?}");
}

/// C6: consecutive sync tasks, including sync tasks they add, share one blocking trip, in order.
pub fn c06_consecutive_sync_tasks_share_one_blocking_trip<H: Harness>() {
    let harness = H::new();
    let recorder = RecordingExecutor::new(harness.executor());
    let log = Log::default();
    let tasks = BackgroundTasks::new();
    for id in 1..=6 {
        let (l, queue) = (log.clone(), tasks.clone());
        match id {
            4 => tasks.add_async_task(async move { push(&l, "4") }),
            3 => tasks.add_task(move || {
                push(&l, "3");
                let l = l.clone();
                queue.add_task(move || push(&l, "7"));
            }),
            _ => tasks.add_task(move || push(&l, id.to_string())),
        }
    }
    let report = run_spawned(&harness, Runner::new(recorder.clone()), tasks);
    assert!(report.is_success(), "{report:?}");
    assert_eq!(entries(&log), ["1", "2", "3", "4", "5", "6", "7"]);
    assert_eq!(
        recorder.blocking_trips(),
        2,
        "[1 2 3] [4] [5 6 7] needs exactly two blocking trips"
    );
    // The run starts on the blocking pool with [1 2 3]; [4] needs an async task.
    assert_eq!(recorder.spawns(), 1, "only the run's async part is spawned");
}

/// C6: a spawned queue of sync tasks only is one trip to the blocking pool and nothing else: it
/// starts there, as a hand-written `spawn_blocking` would, instead of going through an async task.
pub fn c06_a_queue_of_sync_tasks_is_one_blocking_trip_and_no_spawn<H: Harness>() {
    let harness = H::new();
    let recorder = RecordingExecutor::new(harness.executor());
    let log = Log::default();
    let tasks = BackgroundTasks::new();
    for id in 1..=3 {
        let l = log.clone();
        tasks.add_task(move || push(&l, id.to_string()));
    }
    let report = run_spawned(&harness, Runner::new(recorder.clone()), tasks);
    assert!(report.is_success(), "{report:?}");
    assert_eq!(entries(&log), ["1", "2", "3"]);
    assert_eq!(recorder.blocking_trips(), 1, "one trip for the whole queue");
    assert_eq!(
        recorder.spawns(),
        0,
        "no async task for a queue without async tasks"
    );
}

/// C7: tasks added while the queue runs, by sync and async tasks, run after the ones queued before.
pub fn c07_tasks_added_while_running_run_after_the_rest<H: Harness>() {
    let harness = H::new();
    let log = Log::default();
    let tasks = BackgroundTasks::new();
    let (l, queue) = (log.clone(), tasks.clone());
    tasks.add_async_task(async move {
        push(&l, "first");
        let l2 = l.clone();
        queue.add_async_task(async move { push(&l2, "added by first") });
    });
    let (l, queue) = (log.clone(), tasks.clone());
    tasks.add_task(move || {
        push(&l, "second");
        let l2 = l.clone();
        queue.add_task(move || push(&l2, "added by second"));
    });
    let l = log.clone();
    tasks.add_task(move || push(&l, "third"));
    let report = run_spawned(&harness, Runner::new(harness.executor()), tasks);
    assert_eq!(report.tasks().len(), 5);
    assert!(report.is_success(), "{report:?}");
    assert_eq!(
        entries(&log),
        [
            "first",
            "second",
            "third",
            "added by first",
            "added by second"
        ]
    );
}

/// C7: a task added after its queue finished is refused with an error that hands it back, and
/// `add_task` panics rather than dropping it in silence.
pub fn c07_task_added_after_the_run_is_refused<H: Harness>() {
    let harness = H::new();
    let tasks = BackgroundTasks::new();
    let late = tasks.clone();
    let report = run_spawned(&harness, Runner::new(harness.executor()), tasks);
    assert!(report.tasks().is_empty());

    let refused = late
        .try_add(Task::sync(|| ()).with_label("late audit"))
        .expect_err("the queue has finished");
    assert!(refused.to_string().contains("late audit"), "{refused}");
    assert!(
        refused.to_string().contains("after its queue finished"),
        "{refused}"
    );
    assert_eq!(refused.into_task().label(), "late audit");

    let panicked = assert_unwind_safe(|| late.add_task(|| ()));
    let message = *panicked
        .expect_err("add_task must not drop the task in silence")
        .downcast::<String>()
        .expect("a formatted message");
    assert!(message.contains("after its queue finished"), "{message}");
}

#[derive(Debug)]
struct QuotaExceeded {
    user: &'static str,
}

impl std::fmt::Display for QuotaExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "quota exceeded for {}", self.user)
    }
}

impl std::error::Error for QuotaExceeded {}

/// C14: a failing task's original error reaches the hook with the task's label, from sync and
/// async tasks alike.
pub fn c14_errors_reach_the_hook_with_label_and_original_error<H: Harness>() {
    let harness = H::new();
    let users: Log = Log::default();
    let u = users.clone();
    let runner = Runner::new(harness.executor())
        .policy(FailurePolicy::ContinueOnError)
        .on_error(move |label, error| {
            let TaskError::Failed(original) = error else {
                panic!("expected a failure, got {error}");
            };
            let quota = original
                .downcast_ref::<QuotaExceeded>()
                .expect("the original error type, not a summary");
            push(&u, format!("{label} {}", quota.user));
        });
    let tasks = BackgroundTasks::new();
    tasks.add(Task::sync(|| Err::<(), _>(QuotaExceeded { user: "ada" })).with_label("charge"));
    tasks.add(
        Task::future(async { Err::<(), _>(QuotaExceeded { user: "bob" }) }).with_label("refund"),
    );
    let report = run_spawned(&harness, runner, tasks);
    assert_eq!(
        outcomes(&report),
        [
            (
                "charge".into(),
                Outcome::Failed("quota exceeded for ada".into())
            ),
            (
                "refund".into(),
                Outcome::Failed("quota exceeded for bob".into())
            ),
        ]
    );
    assert_eq!(entries(&users), ["charge ada", "refund bob"]);
}

fn deliberate_panic(what: &str) -> Result<(), String> {
    panic!("{DELIBERATE}: {what}")
}

/// C14: panics in sync and async tasks are contained and reported with the label and message; the
/// executor and its threads keep working afterwards.
pub fn c14_panics_are_contained_and_reported<H: Harness>() {
    quiet_deliberate_panics();
    let harness = H::new();
    let hooked = Log::default();
    let tasks = BackgroundTasks::new();
    tasks.add(Task::sync(|| deliberate_panic("sync")).with_label("sync"));
    tasks.add(Task::future(async { deliberate_panic("async") }).with_label("async"));
    let runner = Runner::new(harness.executor())
        .policy(FailurePolicy::ContinueOnError)
        .on_error(recording_hook(&hooked));
    let report = run_spawned(&harness, runner, tasks);
    assert_eq!(
        outcomes(&report),
        [
            (
                "sync".into(),
                Outcome::Panicked(format!("{DELIBERATE}: sync"))
            ),
            (
                "async".into(),
                Outcome::Panicked(format!("{DELIBERATE}: async"))
            ),
        ]
    );
    assert_eq!(
        entries(&hooked),
        [
            format!("sync: task panicked: {DELIBERATE}: sync"),
            format!("async: task panicked: {DELIBERATE}: async"),
        ]
    );
    // The same runtime still runs both kinds of work.
    let log = Log::default();
    let again = BackgroundTasks::new();
    let l = log.clone();
    again.add_task(move || push(&l, "sync after"));
    let l = log.clone();
    again.add_async_task(async move { push(&l, "async after") });
    assert!(run_spawned(&harness, Runner::new(harness.executor()), again).is_success());
    assert_eq!(entries(&log), ["sync after", "async after"]);
}

fn policy_queue(log: &Log) -> BackgroundTasks {
    let tasks = BackgroundTasks::new();
    let l = log.clone();
    tasks.add(Task::sync(move || push(&l, "a")).with_label("a"));
    tasks.add(Task::future(async { Err::<(), _>("smtp down") }).with_label("b"));
    let l = log.clone();
    tasks.add(Task::sync(move || push(&l, "c")).with_label("c"));
    let l = log.clone();
    tasks.add(Task::future(async move { push(&l, "d") }).with_label("d"));
    tasks
}

/// C15: by default a failure ends the queue; the rest are reported as skipped and never run.
pub fn c15_stop_on_error_skips_the_rest<H: Harness>() {
    let harness = H::new();
    let log = Log::default();
    let runner = Runner::new(harness.executor());
    assert_eq!(runner.failure_policy(), FailurePolicy::StopOnError);
    let report = run_spawned(&harness, runner, policy_queue(&log));
    assert_eq!(
        outcomes(&report),
        [
            ("a".into(), Outcome::Succeeded),
            ("b".into(), Outcome::Failed("smtp down".into())),
            ("c".into(), Outcome::Skipped),
            ("d".into(), Outcome::Skipped),
        ]
    );
    assert_eq!(entries(&log), ["a"]);
}

/// C15: `ContinueOnError` runs the rest after a failure.
pub fn c15_continue_on_error_runs_the_rest<H: Harness>() {
    let harness = H::new();
    let log = Log::default();
    let runner = Runner::new(harness.executor()).policy(FailurePolicy::ContinueOnError);
    let report = run_spawned(&harness, runner, policy_queue(&log));
    assert_eq!(
        outcomes(&report),
        [
            ("a".into(), Outcome::Succeeded),
            ("b".into(), Outcome::Failed("smtp down".into())),
            ("c".into(), Outcome::Succeeded),
            ("d".into(), Outcome::Succeeded),
        ]
    );
    assert_eq!(entries(&log), ["a", "c", "d"]);
}

/// C20: a queue runs directly, without HTTP or spawning, and returns an exact report.
pub fn c20_a_queue_runs_without_http<H: Harness>() {
    let harness = H::new();
    let executor = harness.executor();
    let log = Log::default();
    let tasks = BackgroundTasks::new();
    let l = log.clone();
    tasks.add(Task::sync(move || push(&l, "sync")).with_label("sync"));
    let l = log.clone();
    tasks.add(Task::future(async move { push(&l, "async") }).with_label("async"));
    let report = harness.block_on(tasks.run(&executor));
    assert_eq!(
        outcomes(&report),
        [
            ("sync".into(), Outcome::Succeeded),
            ("async".into(), Outcome::Succeeded)
        ]
    );
    assert_eq!(entries(&log), ["sync", "async"]);
}

/// C21: the executor works behind `Arc<dyn Executor>` and `Box<dyn Executor>`.
pub fn c21_executor_works_as_a_trait_object<H: Harness>() {
    let harness = H::new();
    let shared: Arc<dyn Executor> = Arc::new(harness.executor());
    let boxed: Box<dyn Executor> = Box::new(harness.executor());
    for executor in [shared.clone(), Arc::new(boxed) as Arc<dyn Executor>] {
        let log = Log::default();
        let tasks = BackgroundTasks::new();
        let l = log.clone();
        tasks.add_task(move || push(&l, "sync"));
        let l = log.clone();
        tasks.add_async_task(async move { push(&l, "async") });
        let report = run_spawned(&harness, Runner::new(executor), tasks);
        assert!(report.is_success(), "{report:?}");
        assert_eq!(entries(&log), ["sync", "async"]);
    }
}

/// C21: futures spawned and never awaited still run to their end.
pub fn c21_spawned_futures_run_detached<H: Harness>() {
    let harness = H::new();
    let executor = harness.executor();
    let mut finished = Vec::new();
    for _ in 0..3 {
        let (done, finish) = futures_channel::oneshot::channel();
        executor.spawn(Box::pin(async move {
            yield_now().await;
            let _ = done.send(());
        }));
        finished.push(finish);
    }
    harness.block_on(async {
        for finish in finished {
            finish
                .await
                .expect("a detached future was dropped unfinished");
        }
    });
}

/// C21: a blocking job handed over with `spawn_blocking_detached` runs, off the async worker,
/// although nobody awaits it.
pub fn c21_detached_blocking_jobs_run_off_the_async_worker<H: Harness>() {
    let harness = H::new();
    let executor = harness.executor();
    let worker = async_worker(&harness);
    let (ran, ran_on) = mpsc::channel();
    for _ in 0..3 {
        let ran = ran.clone();
        executor.spawn_blocking_detached(Box::new(move || {
            let _ = ran.send(std::thread::current().id());
        }));
    }
    for _ in 0..3 {
        let thread = recv(&ran_on, "a detached blocking job");
        assert_ne!(
            thread, worker,
            "a detached blocking job ran on the async worker"
        );
    }
}

/// C21: a queue that starts on the blocking pool, whose job the pool drops unrun, still reports
/// every task, to the error hook and in the run's report.
pub fn c21_lost_detached_jobs_report_their_tasks<H: Harness>() {
    let harness = H::new();
    let hooked = Log::default();
    let runner =
        Runner::new(CancellingExecutor::new(harness.executor())).on_error(recording_hook(&hooked));
    let tasks = BackgroundTasks::new();
    tasks.add(Task::sync(|| ()).with_label("a"));
    tasks.add(Task::future(async {}).with_label("b"));
    let report = run_spawned(&harness, runner.clone(), tasks);
    let lost = "the run was dropped before it started".to_owned();
    assert_eq!(
        outcomes(&report),
        [
            ("a".into(), Outcome::Abandoned(lost.clone())),
            ("b".into(), Outcome::Abandoned(lost.clone())),
        ]
    );
    assert_eq!(
        entries(&hooked),
        [
            format!("a: task abandoned: {lost}"),
            format!("b: task abandoned: {lost}")
        ]
    );
    let metrics = runner.metrics();
    assert_eq!(
        (metrics.abandoned, metrics.waiting, metrics.running),
        (2, 0, 0)
    );
}

/// C21: a blocking job that panics comes back as `BlockingError::Panicked` with its message.
pub fn c21_spawn_blocking_returns_a_panic_as_an_error<H: Harness>() {
    quiet_deliberate_panics();
    let harness = H::new();
    let executor = harness.executor();
    let result = harness.block_on(executor.spawn_blocking(Box::new(|| {
        panic!("{DELIBERATE}: blocking job");
    })));
    assert_eq!(
        result,
        Err(BlockingError::Panicked(format!(
            "{DELIBERATE}: blocking job"
        )))
    );
    let ok = harness.block_on(executor.spawn_blocking(Box::new(|| ())));
    assert_eq!(ok, Ok(()));
}

/// C21 and "nothing lost in silence": when the blocking pool drops a job, its tasks and the rest of
/// the queue are reported as abandoned, to the report and to the hook.
pub fn c21_lost_blocking_jobs_report_their_tasks<H: Harness>() {
    let harness = H::new();
    let hooked = Log::default();
    let runner =
        Runner::new(CancellingExecutor::new(harness.executor())).on_error(recording_hook(&hooked));
    let tasks = BackgroundTasks::new();
    tasks.add(Task::future(async {}).with_label("a"));
    tasks.add(Task::sync(|| ()).with_label("b"));
    tasks.add(Task::future(async {}).with_label("c"));
    let report = run_spawned(&harness, runner, tasks);
    let lost = BlockingError::Cancelled.to_string();
    assert_eq!(
        outcomes(&report),
        [
            ("a".into(), Outcome::Succeeded),
            ("b".into(), Outcome::Abandoned(lost.clone())),
            ("c".into(), Outcome::Abandoned(lost.clone())),
        ]
    );
    assert_eq!(
        entries(&hooked),
        [
            format!("b: task abandoned: {lost}"),
            format!("c: task abandoned: {lost}")
        ]
    );
}
