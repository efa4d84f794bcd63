//! C20 and C21: a queue runs without HTTP, and what the suite asks of any `Executor`: object
//! safety, detached futures and blocking jobs, panics and lost jobs reported.

use std::sync::{Arc, mpsc};

use background_tasks::{
    AbandonReason, BackgroundTasks, BlockingError, Executor, Outcome, Runner, Task,
};

use crate::doubles::CancellingExecutor;
use crate::harness::{DELIBERATE, Harness, quiet_deliberate_panics, recv, yield_now};

use super::{Log, async_worker, entries, outcomes, push, recording_hook, run_spawned};

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
    let lost = AbandonReason::DroppedBeforeStart;
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
    let lost = AbandonReason::Executor(BlockingError::Cancelled);
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
