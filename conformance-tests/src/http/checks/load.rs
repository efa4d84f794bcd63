//! The HTTP checks under load: thousands of requests over many keep-alive connections, with
//! failing and panicking tasks and clients that hang up mid-body (C4, C11, C14, C15, C19), and a
//! graceful shutdown while queues run and wait (C16, C17).
//!
//! The work is drawn from a seeded generator, so every run sends the same requests and a failure
//! names the seed and the requests that went wrong. Each request carries its plan in its query
//! (its tasks' kinds and outcomes, whether its client will hang up), the handler builds the queue
//! from it, and every task records `(request, task index)` in a per-request log when it starts.
//! The checks then compare that log, the layer's reports and the runner's counters with what the
//! contract predicts. Nothing sleeps: a check waits for a count or an event, under a failure
//! bound.

use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use background_tasks::{Executor, Outcome, Runner};
use background_tasks_tower::{Decision, Ending, RequestReport};
use futures_channel::oneshot;
use http::StatusCode;
use hyper::body::Bytes;

use super::serve_app;
use crate::gate::lock;
use crate::harness::{End, Kind, Rng, quiet_deliberate_panics};
use crate::http::load::{
    CONNECTIONS, GATED_REQUESTS, GATED_TASKS, MAX_RUNNING, OpenOnDrop, Plan, Ran, ReportSlots,
    SEED, error_hook, label, predicted_counts, send, serve_gated,
};
use crate::http::{App, Chunks, Client, Events, HttpHarness, Reply, ReplyBody, WAIT_LIMIT};

/// C4, C11, C14, C15 and C19 under load: `H::LOAD_REQUESTS` requests (2,000; 20,000 on the
/// reference harness) over 64 keep-alive connections, each
/// queuing 1 to 5 sync and async tasks of which 10 % fail and 2 % panic, with 5 % of clients
/// hanging up mid-body (and reconnecting for their next request).
///
/// Every task that should run (under the default `StopOnError`: up to the first failure of its
/// queue; and, under the default `OnDisconnect::Run`, for cut-short responses too) ran exactly
/// once, in its queue's order, and no other did; every request got one report, with the ending
/// its client caused and the outcomes the model predicts; the error hook heard of every failure
/// and panic by label; the runner's counters add up to what was sent; and the server still
/// answers afterwards.
///
/// A client that hangs up does so deterministically mid-body: its response's last chunk is held
/// until the check ends, so the body cannot end before the client is gone, and the client reads
/// the head and the first chunk before hanging up, so the handler had responded.
pub fn c14_every_task_runs_exactly_once_under_load<H: HttpHarness>() {
    let requests = H::LOAD_REQUESTS;
    quiet_deliberate_panics();
    let mut rng = Rng::new(SEED);
    let plans: Vec<Plan> = (0..requests).map(|id| Plan::random(id, &mut rng)).collect();
    // One more, sent once the load is over.
    let last = Plan {
        id: requests,
        tasks: vec![(Kind::Sync, End::Succeed), (Kind::Async, End::Succeed)],
        cut: false,
    };

    let harness = H::new();
    let hooked = Arc::new(Mutex::new(Vec::new()));
    let runner = Runner::new(harness.executor()).on_error(error_hook(&hooked));
    let reports = ReportSlots::new(requests + 1);
    let ran = Ran::new(requests + 1);
    // The gates of the cut-short bodies, kept shut until the check is over.
    let gates: Arc<Mutex<Vec<oneshot::Sender<()>>>> = Arc::default();
    let (r, g, held) = (ran.clone(), gates.clone(), Events::default());
    let app = App::with_report_hook(reports.hook(), move |request, tasks| {
        let plan = Plan::parse(request);
        plan.queue_tasks(&r, tasks);
        if plan.cut {
            let (open, gate) = oneshot::channel();
            lock(&g).push(open);
            let body = Chunks::new(&held, format!("r{}", plan.id), 2, 1024);
            Reply::chunks(body.streamed().held_by(gate)).into()
        } else {
            let id = Bytes::from(plan.id.to_string());
            Reply::new(StatusCode::OK, ReplyBody::Full(id)).into()
        }
    })
    .runner(runner.clone());
    let addr = serve_app(&harness, app);

    let began = Instant::now();
    std::thread::scope(|scope| {
        for connection in 0..CONNECTIONS {
            let plans = &plans;
            scope.spawn(move || {
                let mut client = Client::connect(addr);
                for plan in plans.iter().skip(connection).step_by(CONNECTIONS) {
                    send(&mut client, addr, plan);
                }
            });
        }
    });
    reports.arrived.wait_for(
        requests,
        WAIT_LIMIT,
        &format!("reports after the load (sent in {:?})", began.elapsed()),
    );
    harness.block_on(runner.idle());
    let metrics = runner.metrics();

    // Each request: its tasks ran exactly once, in order, as far as the model says; its report
    // says how its response ended and what became of each task.
    let mut wrong = Vec::new();
    {
        let book = lock(&reports.slots);
        assert!(book.strays.is_empty(), "{:?}", book.strays);
        for plan in &plans {
            let expected: Vec<u8> = (0..plan.runs() as u8).collect();
            let got = ran.of(plan.id);
            if got != expected {
                wrong.push(format!(
                    "{}: tasks {got:?} ran, {expected:?} expected",
                    plan.target()
                ));
            }
            let ending = if plan.cut {
                Ending::CutShort
            } else {
                Ending::Completed
            };
            let seen = book.by_id[plan.id].as_ref().map(|report| {
                let outcomes: Vec<Outcome> = report
                    .run()
                    .tasks()
                    .iter()
                    .map(|task| task.outcome.clone())
                    .collect();
                (
                    report.status(),
                    report.ending(),
                    report.decision(),
                    outcomes,
                )
            });
            let predicted = (Some(StatusCode::OK), ending, Decision::Ran, plan.outcomes());
            if seen.as_ref() != Some(&predicted) {
                wrong.push(format!(
                    "{}: reported {seen:?}, {predicted:?} expected",
                    plan.target()
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "seed {SEED:#x}: {} discrepancies, the first: {:#?}",
        wrong.len(),
        &wrong[..wrong.len().min(8)]
    );

    // The error hook heard of every failure and panic, by label, and of nothing else.
    let mut predicted_errors: Vec<String> = plans
        .iter()
        .flat_map(|plan| {
            let id = plan.id;
            plan.outcomes().into_iter().enumerate().filter_map(
                move |(index, outcome)| match outcome {
                    Outcome::Failed(_) => Some(format!("{} failed", label(id, index))),
                    Outcome::Panicked(_) => Some(format!("{} panicked", label(id, index))),
                    _ => None,
                },
            )
        })
        .collect();
    let mut heard = lock(&hooked).clone();
    predicted_errors.sort_unstable();
    heard.sort_unstable();
    assert!(
        heard == predicted_errors,
        "seed {SEED:#x}: the error hook heard {} errors, {} expected",
        heard.len(),
        predicted_errors.len()
    );

    // The counters add up to what was sent.
    let (queued, succeeded, failed, panicked, skipped) = predicted_counts(&plans);
    assert_eq!(
        (
            metrics.queued,
            metrics.succeeded,
            metrics.failed,
            metrics.panicked,
            metrics.skipped
        ),
        (queued, succeeded, failed, panicked, skipped),
        "seed {SEED:#x}: (queued, succeeded, failed, panicked, skipped); {metrics:?}"
    );
    assert_eq!(metrics.settled(), metrics.queued, "{metrics:?}");
    assert_eq!(
        (
            metrics.timed_out,
            metrics.discarded,
            metrics.abandoned,
            metrics.running,
            metrics.waiting
        ),
        (0, 0, 0, 0, 0),
        "{metrics:?}"
    );

    // The server still answers, and still runs tasks.
    send(&mut Client::connect(addr), addr, &last);
    reports
        .arrived
        .wait_for(requests + 1, WAIT_LIMIT, "the last report");
    assert_eq!(ran.of(last.id), [0, 1]);
    let book = lock(&reports.slots);
    let report = book.by_id[last.id].as_ref().expect("reported");
    assert_eq!(
        (
            report.ending(),
            report.decision(),
            report.run().is_success()
        ),
        (Ending::Completed, Decision::Ran, true),
        "{report:?}"
    );
    drop(book);
    // The held bodies' connections are gone: opening their gates now changes nothing.
    lock(&gates).clear();
}

/// C16 and C17 under load: with 48 requests' queues behind a limit of 4, four running (each held
/// in its second task) and 44 waiting, a shutdown with a generous deadline lets every one finish:
/// the report is complete, nothing is abandoned, every task ran once and in order, and the
/// counters add up. The gate opens only once the shutdown has begun.
pub fn c16_shutdown_under_load_waits_for_every_queue<H: HttpHarness>() {
    let harness = H::new();
    if harness.executor().sleep(Duration::ZERO).is_none() {
        return; // without a timer there is no deadline: c16_shutdown_refuses_new_work covers it
    }
    let server = serve_gated(&harness);
    let _open = OpenOnDrop(server.gate.clone());
    server.load();

    let report = {
        let mut shutdown = pin!(server.runner.shutdown(Duration::from_secs(30)));
        let mut opened = false;
        harness.block_on(std::future::poll_fn(|cx| {
            let poll = shutdown.as_mut().poll(cx);
            if poll.is_pending() && !opened {
                // The shutdown has begun and waits: now let the queues go.
                assert!(server.runner.is_shutting_down());
                opened = true;
                server.gate.open();
            }
            poll
        }))
    };
    assert!(report.is_complete(), "{report:?}");
    assert_eq!(
        (report.abandoned_at_deadline, report.still_running),
        (0, 0),
        "{report:?}"
    );
    let total = (GATED_REQUESTS * GATED_TASKS) as u64;
    let metrics = report.metrics;
    assert_eq!(
        (
            metrics.queued,
            metrics.succeeded,
            metrics.settled(),
            metrics.running,
            metrics.waiting
        ),
        (total, total, total, 0, 0),
        "{metrics:?}"
    );
    let in_order: Vec<u8> = (0..GATED_TASKS as u8).collect();
    for id in 0..GATED_REQUESTS {
        assert_eq!(server.ran.of(id), in_order, "/g/{id}");
        let report = server.report(id);
        assert!(report.run().is_success(), "{report:?}");
    }
    assert!(
        lock(&server.hooked).is_empty(),
        "{:?}",
        lock(&server.hooked)
    );
    server.assert_still_answers();
}

/// C16 and C17 under load: with 48 requests' queues behind a limit of 4, four running (each held
/// in its second task) and 44 waiting, a shutdown whose deadline passes while the gate is still
/// shut abandons exactly the tasks that never ran (counted from the execution log once the gate
/// opens and the runner is idle), reports the four held queues as still running, and the
/// counters add up: what ran succeeded, the rest is abandoned, nothing is lost.
pub fn c16_shutdown_under_load_abandons_exactly_what_never_ran<H: HttpHarness>() {
    let harness = H::new();
    if harness.executor().sleep(Duration::ZERO).is_none() {
        return;
    }
    let server = serve_gated(&harness);
    let _open = OpenOnDrop(server.gate.clone());
    server.load();

    let report = harness.block_on(server.runner.shutdown(Duration::from_millis(10)));
    // With the gate shut, the queues whose gated task had started are still in it.
    let mid_run = server.started.get();
    server.gate.open();
    let reports: Vec<RequestReport> = (0..GATED_REQUESTS).map(|id| server.report(id)).collect();
    harness.block_on(server.runner.idle());

    let total = GATED_REQUESTS * GATED_TASKS;
    let ran = server.ran.total();
    let never_ran = total - ran;
    assert!(report.deadline_passed, "{report:?}");
    assert_eq!(
        report.abandoned_at_deadline, never_ran as u64,
        "abandoned_at_deadline must count exactly the tasks that never ran; {report:?}"
    );
    assert_eq!(report.still_running, mid_run as u64, "{report:?}");
    // The model: the running queues ran their quick first task and their gated one, no more.
    assert_eq!((ran, mid_run), (2 * MAX_RUNNING, MAX_RUNNING));

    let metrics = server.runner.metrics();
    assert_eq!(
        (
            metrics.queued,
            metrics.succeeded,
            metrics.abandoned,
            metrics.settled(),
            metrics.running,
            metrics.waiting
        ),
        (
            total as u64,
            ran as u64,
            never_ran as u64,
            total as u64,
            0,
            0
        ),
        "{metrics:?}"
    );
    let abandoned_heard = lock(&server.hooked)
        .iter()
        .filter(|e| e.ends_with(" abandoned"))
        .count();
    assert_eq!(
        abandoned_heard, never_ran,
        "the error hook hears of every abandoned task"
    );
    // Each queue's report agrees with the log, in queue order (also for a queue whose task was
    // still running when the deadline abandoned the tasks after it): what ran succeeded, the
    // rest was abandoned.
    for (id, report) in reports.iter().enumerate() {
        let ran = server.ran.of(id);
        assert_eq!(ran, (0..ran.len() as u8).collect::<Vec<_>>(), "/g/{id}");
        assert_eq!(report.run().tasks().len(), GATED_TASKS, "{report:?}");
        for (index, task) in report.run().tasks().iter().enumerate() {
            let label = format!("g{id}/{index}");
            assert_eq!(task.label, label, "{report:?}");
            let outcome = Some(&task.outcome);
            let as_logged = if index < ran.len() {
                matches!(outcome, Some(Outcome::Succeeded))
            } else {
                matches!(outcome, Some(Outcome::Abandoned(_)))
            };
            assert!(as_logged, "{label}: ran {ran:?}; {report:?}");
        }
    }
    server.assert_still_answers();
}
