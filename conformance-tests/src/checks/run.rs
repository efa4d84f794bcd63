//! C4 to C7: a queue runs once, one task at a time, sync tasks on the blocking pool (consecutive
//! ones in one trip), and tasks added while it runs are run, those added after it are refused.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::ThreadId;
use std::time::Duration;

use background_tasks::{BackgroundTasks, Executor, Runner, Task};

use crate::doubles::RecordingExecutor;
use crate::harness::{Harness, Kind, assert_unwind_safe, recv, yield_now};

use super::{Log, async_worker, entries, push, run_spawned};

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

/// C5: a sync task that blocks holds up no other queue: queues of sync tasks spawned while it
/// blocks, on the same runner, run before it is released. (The runner may let a queue wait for a
/// pool thread that is busy, to save waking another, but only briefly.)
pub fn c05_a_blocked_sync_task_holds_up_no_other_queue<H: Harness>() {
    let harness = H::new();
    let runner = Runner::new(harness.executor());
    let (started, blocker_started) = mpsc::channel();
    let (release, held) = mpsc::channel::<()>();
    let blocker = runner.queue();
    blocker.add_task(move || {
        let _ = started.send(());
        // The bound only ends a failing check; the check releases it.
        let _ = held.recv_timeout(Duration::from_secs(20));
    });
    let (blocker_report, blocker_done) = mpsc::channel();
    runner.spawn(blocker, move |report| {
        let _ = blocker_report.send(report);
    });
    recv(&blocker_started, "the blocking task to start");

    // Awaited on the harness, which some runtimes need in order to run at all (the runner's
    // watchdog is an async task).
    let (ran, mut others_ran) = futures_channel::mpsc::unbounded();
    for i in 0..3 {
        let (queue, ran) = (runner.queue(), ran.clone());
        queue.add_task(move || {
            let _ = ran.unbounded_send(i);
        });
        runner.spawn(queue, |_| {});
    }
    let mut others = harness.block_on(async {
        let mut others = Vec::new();
        while others.len() < 3 {
            let next = std::future::poll_fn(|cx| {
                futures_core::Stream::poll_next(std::pin::Pin::new(&mut others_ran), cx)
            });
            others.push(next.await.expect("the senders are alive"));
        }
        others
    });
    others.sort_unstable();
    assert_eq!(others, [0, 1, 2]);

    release.send(()).expect("the blocking task waits");
    let report = recv(&blocker_done, "the blocking queue's report");
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
