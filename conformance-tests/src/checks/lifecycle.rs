//! Checks of a runner's lifecycle on an executor: graceful shutdown (C16), the limit on queues
//! running at once (C17), task timeouts (C18) and counters (C19).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use background_tasks::{
    AbandonReason, BackgroundTasks, Executor, FailurePolicy, Outcome, Runner, Task, Timeout,
};

use crate::gate::Gate;
use crate::harness::{DELIBERATE, Harness, quiet_deliberate_panics, recv};

/// How long a gated sync task waits before it fails its check.
const GATE_LIMIT: Duration = Duration::from_secs(20);

/// Signals from tasks to the check. Awaited inside `block_on`, because some runtimes (a
/// current-thread tokio, an explicit smol executor) run spawned work only while blocked on.
type Signals = futures_channel::mpsc::UnboundedReceiver<()>;

fn signals() -> (futures_channel::mpsc::UnboundedSender<()>, Signals) {
    futures_channel::mpsc::unbounded()
}

fn next_signal<H: Harness>(harness: &H, signals: &mut Signals) {
    use futures_core::Stream;
    let next = std::future::poll_fn(|cx| std::pin::Pin::new(&mut *signals).poll_next(cx));
    harness
        .block_on(next)
        .expect("every signalling task was dropped");
}

/// Spawns `queues` queues of one gated sync task each; returns the gate and the tasks' "started"
/// signals.
fn spawn_gated<E: Executor + Clone>(
    runner: &Runner<E>,
    queues: usize,
    done: &Arc<AtomicUsize>,
) -> (Gate, Signals) {
    let gate = Gate::new(GATE_LIMIT);
    let (started, starts) = signals();
    for i in 0..queues {
        let tasks = runner.queue();
        let (gate, started, done) = (gate.clone(), started.clone(), done.clone());
        tasks.add(
            Task::sync(move || {
                let _ = started.unbounded_send(());
                gate.wait()?;
                done.fetch_add(1, Ordering::SeqCst);
                Ok::<(), String>(())
            })
            .with_label(format!("gated {i}")),
        );
        runner.spawn(tasks, |_| ());
    }
    (gate, starts)
}

/// C16: a shutdown with a generous deadline waits for running and waiting queues; nothing is
/// abandoned, and the report's counters add up.
pub fn c16_shutdown_waits_for_running_and_waiting_queues<H: Harness>() {
    let harness = H::new();
    if harness.executor().sleep(Duration::ZERO).is_none() {
        return; // without a timer, shutdown waits with no deadline: c16_shutdown_refuses covers it
    }
    let runner = Runner::new(harness.executor()).max_running(1);
    let done = Arc::new(AtomicUsize::new(0));
    let (gate, mut starts) = spawn_gated(&runner, 3, &done);
    next_signal(&harness, &mut starts);
    assert_eq!(runner.metrics().running, 1);
    assert_eq!(runner.metrics().waiting, 2);

    // Open the gate only once the shutdown has begun (new queues are refused), so that the
    // shutdown has something to wait for.
    let opener = std::thread::spawn({
        let (gate, runner) = (gate.clone(), runner.clone());
        move || {
            let began = std::time::Instant::now();
            while !runner.is_shutting_down() {
                assert!(
                    began.elapsed() < Duration::from_secs(20),
                    "shutdown never began"
                );
                std::thread::yield_now();
            }
            gate.open();
        }
    });
    let report = harness.block_on(runner.shutdown(Duration::from_secs(30)));
    opener.join().unwrap();
    assert!(report.is_complete(), "{report:?}");
    assert_eq!(report.abandoned_at_deadline, 0);
    assert_eq!(done.load(Ordering::SeqCst), 3);
    assert_eq!(report.metrics.succeeded, 3);
    assert_eq!(report.metrics.queued, report.metrics.settled());
    assert_eq!((report.metrics.running, report.metrics.waiting), (0, 0));
}

/// C16: when the deadline passes first, what did not start is abandoned and counted exactly; the
/// task already running is reported as still running, and its queue ends when it does.
pub fn c16_shutdown_deadline_abandons_what_did_not_start<H: Harness>() {
    let harness = H::new();
    if harness.executor().sleep(Duration::ZERO).is_none() {
        return;
    }
    let abandoned = Arc::new(Mutex::new(Vec::new()));
    let a = abandoned.clone();
    let runner = Runner::new(harness.executor())
        .max_running(1)
        .on_error(move |label, error| a.lock().unwrap().push(format!("{label}: {error}")));
    let done = Arc::new(AtomicUsize::new(0));
    // The running queue: its gated task, then one more task that has not started.
    let running = runner.queue();
    let (gate, (started, mut starts)) = (Gate::new(GATE_LIMIT), signals());
    {
        let (gate, done) = (gate.clone(), done.clone());
        running.add(
            Task::sync(move || {
                let _ = started.unbounded_send(());
                gate.wait()?;
                done.fetch_add(1, Ordering::SeqCst);
                Ok::<(), String>(())
            })
            .with_label("running"),
        );
    }
    running.add(Task::sync(|| ()).with_label("after running"));
    runner.spawn(running, |_| ());
    // Two queues waiting for the slot.
    for i in 0..2 {
        let waiting = runner.queue();
        waiting.add(Task::sync(|| ()).with_label(format!("waiting {i}")));
        runner.spawn(waiting, |_| ());
    }
    next_signal(&harness, &mut starts);

    let report = harness.block_on(runner.shutdown(Duration::from_millis(50)));
    assert!(report.deadline_passed, "{report:?}");
    assert_eq!(report.abandoned_at_deadline, 3, "{report:?}");
    assert_eq!(report.still_running, 1, "{report:?}");
    let mut seen = abandoned.lock().unwrap().clone();
    seen.sort();
    let why = "task abandoned: the shutdown deadline passed before it started";
    assert_eq!(
        seen,
        [
            format!("after running: {why}"),
            format!("waiting 0: {why}"),
            format!("waiting 1: {why}"),
        ]
    );

    gate.open();
    harness.block_on(runner.idle());
    let metrics = runner.metrics();
    assert_eq!(done.load(Ordering::SeqCst), 1, "the running task finished");
    assert_eq!((metrics.succeeded, metrics.abandoned), (1, 3));
    assert_eq!(metrics.queued, metrics.settled());
}

/// C16: a queue that started on the blocking pool (first task sync, no limit) is cut by the
/// deadline like one on an async task: its running task is counted as still running, the rest
/// (sync and async) abandoned, and its report still delivered once that task ends.
pub fn c16_shutdown_deadline_cuts_a_queue_started_on_the_blocking_pool<H: Harness>() {
    let harness = H::new();
    if harness.executor().sleep(Duration::ZERO).is_none() {
        return;
    }
    let runner = Runner::new(harness.executor());
    let tasks = runner.queue();
    let (gate, (started, mut starts)) = (Gate::new(GATE_LIMIT), signals());
    {
        let gate = gate.clone();
        tasks.add(
            Task::sync(move || {
                let _ = started.unbounded_send(());
                gate.wait()
            })
            .with_label("running"),
        );
    }
    tasks.add(Task::sync(|| ()).with_label("sync after"));
    tasks.add(Task::future(async {}).with_label("async after"));
    let (report, reported) = futures_channel::oneshot::channel();
    runner.spawn(tasks, move |run| {
        let _ = report.send(run);
    });
    next_signal(&harness, &mut starts);

    let shutdown = harness.block_on(runner.shutdown(Duration::from_millis(50)));
    assert!(shutdown.deadline_passed, "{shutdown:?}");
    assert_eq!(
        (shutdown.abandoned_at_deadline, shutdown.still_running),
        (2, 1),
        "{shutdown:?}"
    );

    gate.open();
    let run = harness
        .block_on(reported)
        .expect("the report was delivered");
    let why = Outcome::Abandoned(AbandonReason::Deadline);
    let outcomes: Vec<_> = run.tasks().iter().map(|t| t.outcome.clone()).collect();
    assert_eq!(outcomes, [Outcome::Succeeded, why.clone(), why]);
    harness.block_on(runner.idle());
    let metrics = runner.metrics();
    assert_eq!((metrics.succeeded, metrics.abandoned), (1, 2));
    assert_eq!(metrics.queued, metrics.settled());
}
/// C16: an async task that waits for the runner's [`ShutdownDeadline`](background_tasks::ShutdownDeadline)
/// stops by itself when a shutdown's deadline passes: it reports what it returned, and the runner
/// goes idle with nothing left running.
pub fn c16_async_tasks_can_stop_at_the_shutdown_deadline<H: Harness>() {
    let harness = H::new();
    if harness.executor().sleep(Duration::ZERO).is_none() {
        return; // no timer, no deadline
    }
    let runner = Runner::new(harness.executor());
    let deadline = runner.deadline();
    assert!(!deadline.is_passed());
    let (started, mut starts) = signals();
    let tasks = runner.queue();
    tasks.add(
        Task::future(async move {
            let _ = started.unbounded_send(());
            deadline.passed().await;
            Err::<(), _>("stopped at the shutdown deadline")
        })
        .with_label("long import"),
    );
    let (sent, reported) = mpsc::channel();
    runner.spawn(tasks, move |report| {
        let _ = sent.send(report);
    });
    next_signal(&harness, &mut starts);

    let shutdown = harness.block_on(runner.shutdown(Duration::from_millis(20)));
    assert!(shutdown.deadline_passed, "{shutdown:?}");
    assert!(runner.deadline().is_passed());
    // The task stops by itself (the watchdog fails the check if it never does).
    harness.block_on(runner.idle());
    let report = recv(&reported, "the report of the stopped queue");
    assert_eq!(
        report.tasks()[0].outcome,
        Outcome::Failed("stopped at the shutdown deadline".into())
    );
    assert_eq!(runner.metrics().running, 0);
}

/// C16: once shutting down, new queues are refused with an error, and tasks for queues not yet
/// started are refused at `add_task`: never accepted and then lost.
pub fn c16_shutdown_refuses_new_work<H: Harness>() {
    let harness = H::new();
    let refused = Arc::new(Mutex::new(Vec::new()));
    let r = refused.clone();
    let runner = Runner::new(harness.executor())
        .on_error(move |label, error| r.lock().unwrap().push(format!("{label}: {error}")));
    let early = runner.queue();
    early.add(Task::sync(|| ()).with_label("queued before shutdown"));

    let report = harness.block_on(runner.shutdown(Duration::from_secs(5)));
    assert!(report.is_complete());

    let late = runner.queue();
    let error = late
        .try_add(Task::sync(|| ()).with_label("too late"))
        .expect_err("a new queue's tasks are refused during shutdown");
    assert!(error.to_string().contains("shutting down"), "{error}");

    let (reported, report_seen) = mpsc::channel();
    runner.spawn(early, move |report| {
        let _ = reported.send(report);
    });
    let report = recv(&report_seen, "the refused queue's report");
    let reason = AbandonReason::ShuttingDown;
    assert_eq!(
        report.tasks()[0].outcome,
        Outcome::Abandoned(reason.clone())
    );
    assert_eq!(
        *refused.lock().unwrap(),
        [format!("queued before shutdown: task abandoned: {reason}")]
    );
    assert_eq!(runner.metrics().abandoned, 1);
}

/// C17: with a limit of 2, of 100 queues never more than 2 run at once, the rest wait (visibly),
/// and all 100 finish.
pub fn c17_max_running_limits_queues_and_drops_none<H: Harness>() {
    let harness = H::new();
    let runner = Runner::new(harness.executor()).max_running(2);
    let (now, peak, done) = (
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
    );
    let gate = Gate::new(GATE_LIMIT);
    let (started, mut starts) = signals();
    for i in 0..100 {
        let tasks = runner.queue();
        let (now, peak, done, gate, started) = (
            now.clone(),
            peak.clone(),
            done.clone(),
            gate.clone(),
            started.clone(),
        );
        tasks.add(
            Task::sync(move || {
                let running = now.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(running, Ordering::SeqCst);
                let _ = started.unbounded_send(());
                let waited = gate.wait();
                now.fetch_sub(1, Ordering::SeqCst);
                done.fetch_add(1, Ordering::SeqCst);
                waited
            })
            .with_label(format!("queue {i}")),
        );
        runner.spawn(tasks, |_| ());
    }
    next_signal(&harness, &mut starts);
    next_signal(&harness, &mut starts);
    let metrics = runner.metrics();
    assert_eq!((metrics.running, metrics.waiting), (2, 98), "{metrics:?}");
    gate.open();
    harness.block_on(runner.idle());
    assert_eq!(done.load(Ordering::SeqCst), 100);
    assert!(
        peak.load(Ordering::SeqCst) <= 2,
        "more than 2 queues ran at once"
    );
    assert_eq!(runner.metrics().succeeded, 100);
}

/// C18: an async task that overruns its timeout is cancelled (its future dropped) and reported; a
/// sync one cannot be cancelled, so it finishes and its overrun is reported.
pub fn c18_overrunning_tasks_are_reported<H: Harness>() {
    let harness = H::new();
    let executor = harness.executor();
    if executor.sleep(Duration::ZERO).is_none() {
        let refused = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _ = Runner::new(executor).task_timeout(Duration::from_millis(1));
        }));
        let message = *refused
            .expect_err("a timeout without a timer must be refused loudly")
            .downcast::<&str>()
            .unwrap_or_else(|_| Box::new(""));
        assert!(message.contains("needs a timer"), "{message}");
        return;
    }
    let hooked = Arc::new(Mutex::new(Vec::new()));
    let h = hooked.clone();
    let runner = Runner::new(executor)
        .failure_policy(FailurePolicy::ContinueOnError)
        .task_timeout(Duration::from_millis(30))
        .on_error(move |label, _| h.lock().unwrap().push(label.to_owned()));
    let (dropped, was_dropped) = mpsc::channel();
    struct Dropped(mpsc::Sender<()>);
    impl Drop for Dropped {
        fn drop(&mut self) {
            let _ = self.0.send(());
        }
    }
    let finished_late = Arc::new(AtomicUsize::new(0));
    let tasks = BackgroundTasks::new();
    tasks.add(
        Task::future(async move {
            let _witness = Dropped(dropped);
            std::future::pending::<()>().await;
        })
        .with_label("stuck async"),
    );
    let late = finished_late.clone();
    tasks.add(
        Task::sync(move || {
            // The workload itself is slow here; nothing waits on this sleep to synchronise.
            std::thread::sleep(Duration::from_millis(120));
            late.fetch_add(1, Ordering::SeqCst);
        })
        .with_label("slow sync"),
    );
    tasks.add(Task::sync(|| ()).with_label("quick"));
    let report = harness.block_on(runner.run(tasks));
    recv(&was_dropped, "the cancelled future to be dropped");
    let outcomes: Vec<_> = report.tasks().iter().map(|t| &t.outcome).collect();
    assert!(
        matches!(outcomes[0], Outcome::TimedOut(Timeout::Cancelled { .. })),
        "{outcomes:?}"
    );
    assert!(
        matches!(outcomes[1], Outcome::TimedOut(Timeout::RanOver { took, timeout }) if took > timeout),
        "{outcomes:?}"
    );
    assert_eq!(outcomes[2], &Outcome::Succeeded);
    assert_eq!(finished_late.load(Ordering::SeqCst), 1);
    assert_eq!(*hooked.lock().unwrap(), ["stuck async", "slow sync"]);
    assert_eq!(runner.metrics().timed_out, 2);
}

/// C19: the counters account for every task by outcome, and `queued` equals their sum.
pub fn c19_metrics_account_for_every_task<H: Harness>() {
    quiet_deliberate_panics();
    let harness = H::new();
    let runner = Runner::new(harness.executor());
    let (reported, reports) = mpsc::channel();

    let first = runner.queue();
    first.add_task(|| ());
    first.add_async_task(async {});
    first.add_task(|| Err::<(), _>("failed"));
    first.add_task(|| ());
    let second = runner.queue();
    second.add_async_task(async { deliberate() });
    let third = runner.queue();
    third.add_task(|| ());
    third.add_task(|| ());
    let untracked = BackgroundTasks::new(); // made elsewhere, counted once handed over
    untracked.add_task(|| ());

    for tasks in [first, second, untracked] {
        let reported = reported.clone();
        runner.spawn(tasks, move |report| {
            let _ = reported.send(report);
        });
    }
    let discarded = background_tasks::integration::discard(&runner, third);
    assert_eq!(discarded.count(|o| *o == Outcome::Discarded), 2);
    harness.block_on(runner.idle());
    assert_eq!(
        reports.try_iter().count(),
        3,
        "idle implies every report was delivered"
    );
    let metrics = runner.metrics();
    assert_eq!(metrics.queued, 8, "{metrics:?}");
    assert_eq!(
        (
            metrics.succeeded,
            metrics.failed,
            metrics.panicked,
            metrics.skipped,
            metrics.discarded
        ),
        (3, 1, 1, 1, 2),
        "{metrics:?}"
    );
    assert_eq!(metrics.settled(), metrics.queued);
    assert_eq!((metrics.running, metrics.waiting), (0, 0));
}

fn deliberate() -> Result<(), String> {
    panic!("{DELIBERATE}: counted")
}
