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
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use background_tasks::{Executor, Metrics, Outcome, Runner, Task, TaskError};
use background_tasks_tower::{BackgroundTasksLayer, Decision, Ending, RequestReport};
use futures_channel::oneshot;
use http::{Request, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;

use crate::harness::{End, Kind, Rng, quiet_deliberate_panics};
use crate::http::checks::{boxed, chunks, queue, respond, serve, text};
use crate::http::{Chunks, Client, Events, HttpHarness, Reports, WAIT_LIMIT};
use crate::yield_now;

/// Requests sent by [`c14_every_task_runs_exactly_once_under_load`].
const REQUESTS: usize = 20_000;

/// Keep-alive connections (and client threads) they are sent over.
const CONNECTIONS: usize = 64;

/// The seed of the requests' plans: change it to draw other work, quote it to replay a failure.
const SEED: u64 = 0x5eed_0c14;

/// What one request asks of the server, sent in its target: `/r/{id}?cut={0|1}&tasks={pairs}`,
/// one pair of letters per task (`s`ync or `a`sync, then o`k`, `f`ail or `p`anic).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Plan {
    id: usize,
    tasks: Vec<(Kind, End)>,
    /// Whether the client hangs up mid-body.
    cut: bool,
}

impl Plan {
    /// 1 to 5 tasks, each sync or async alike, failing 10 % and panicking 2 % of the time; 5 % of
    /// clients hang up mid-body.
    fn random(id: usize, rng: &mut Rng) -> Self {
        let count = 1 + rng.below(5) as usize;
        let tasks = (0..count)
            .map(|_| {
                let kind = if rng.below(2) == 0 {
                    Kind::Sync
                } else {
                    Kind::Async
                };
                let end = match rng.below(100) {
                    0..2 => End::Panic,
                    2..12 => End::Fail,
                    _ => End::Succeed,
                };
                (kind, end)
            })
            .collect();
        let cut = rng.below(100) < 5;
        Self { id, tasks, cut }
    }

    fn target(&self) -> String {
        let mut target = format!("/r/{}?cut={}&tasks=", self.id, u8::from(self.cut));
        for (kind, end) in &self.tasks {
            target.push(match kind {
                Kind::Sync => 's',
                Kind::Async => 'a',
            });
            target.push(match end {
                End::Succeed => 'k',
                End::Fail => 'f',
                End::Panic => 'p',
            });
        }
        target
    }

    /// The plan a request's target carries.
    fn parse(request: &Request<Incoming>) -> Self {
        let uri = request.uri();
        let id = uri
            .path()
            .strip_prefix("/r/")
            .and_then(|id| id.parse().ok())
            .unwrap_or_else(|| panic!("not a planned request: {uri}"));
        let (mut cut, mut tasks) = (false, Vec::new());
        for pair in uri.query().unwrap_or_default().split('&') {
            if let Some(flag) = pair.strip_prefix("cut=") {
                cut = flag == "1";
            } else if let Some(letters) = pair.strip_prefix("tasks=") {
                tasks = letters
                    .as_bytes()
                    .chunks(2)
                    .map(|pair| {
                        let kind = if pair[0] == b's' {
                            Kind::Sync
                        } else {
                            Kind::Async
                        };
                        let end = match pair[1] {
                            b'f' => End::Fail,
                            b'p' => End::Panic,
                            _ => End::Succeed,
                        };
                        (kind, end)
                    })
                    .collect();
            }
        }
        Self { id, tasks, cut }
    }

    /// How many tasks run under the default `FailurePolicy::StopOnError`: up to and including the
    /// first that fails or panics.
    fn runs(&self) -> usize {
        self.tasks
            .iter()
            .position(|&(_, end)| end != End::Succeed)
            .map_or(self.tasks.len(), |at| at + 1)
    }

    /// The outcome of each task, as the contract predicts it: what ran ended as planned, the rest
    /// was skipped.
    fn outcomes(&self) -> Vec<Outcome> {
        let runs = self.runs();
        (0..self.tasks.len())
            .map(|index| match self.tasks[index].1 {
                _ if index >= runs => Outcome::Skipped,
                end => end.outcome(&label(self.id, index)),
            })
            .collect()
    }

    /// The request's queue: each task records itself in `ran`, then ends as planned.
    fn queue_tasks(&self, ran: &Ran) {
        let tasks = queue();
        for (index, &(kind, end)) in self.tasks.iter().enumerate() {
            let (id, ran) = (self.id, ran.clone());
            let task = match kind {
                Kind::Sync => Task::sync(move || {
                    ran.record(id, index);
                    end.finish(&label(id, index))
                }),
                Kind::Async => Task::future(async move {
                    ran.record(id, index);
                    yield_now().await;
                    end.finish(&label(id, index))
                }),
            };
            tasks.add(task.with_label(label(id, index)));
        }
    }
}

fn label(id: usize, index: usize) -> String {
    format!("r{id}/{index}")
}

/// Which tasks of each request ran, in the order they started: one slot per request, so that
/// "exactly once, in order" is a comparison with `[0, 1, …]`.
#[derive(Clone)]
struct Ran(Arc<[Mutex<Vec<u8>>]>);

impl Ran {
    fn new(requests: usize) -> Self {
        Self((0..requests).map(|_| Mutex::default()).collect())
    }

    fn record(&self, id: usize, index: usize) {
        lock(&self.0[id]).push(index as u8);
    }

    fn of(&self, id: usize) -> Vec<u8> {
        lock(&self.0[id]).clone()
    }

    fn total(&self) -> usize {
        self.0.iter().map(|slot| lock(slot).len()).sum()
    }
}

/// A count that a check can wait for.
#[derive(Clone, Default)]
struct Tally(Arc<(Mutex<usize>, Condvar)>);

impl Tally {
    fn add(&self) {
        *lock(&self.0.0) += 1;
        self.0.1.notify_all();
    }

    fn get(&self) -> usize {
        *lock(&self.0.0)
    }

    /// Waits until the count reaches `n`.
    ///
    /// # Panics
    ///
    /// After `limit`, naming `what`.
    fn wait_for(&self, n: usize, limit: Duration, what: &str) {
        let (count, changed) = &*self.0;
        let (count, timeout) = changed
            .wait_timeout_while(lock(count), limit, |count| *count < n)
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        assert!(
            !timeout.timed_out(),
            "{what}: {} of {n} within {limit:?}",
            *count
        );
    }
}

/// The layer's reports, one slot per request, and what did not fit a slot.
#[derive(Clone)]
struct ReportSlots {
    slots: Arc<Mutex<ReportBook>>,
    arrived: Tally,
}

struct ReportBook {
    by_id: Vec<Option<RequestReport>>,
    strays: Vec<String>,
}

impl ReportSlots {
    fn new(requests: usize) -> Self {
        Self {
            slots: Arc::new(Mutex::new(ReportBook {
                by_id: vec![None; requests],
                strays: Vec::new(),
            })),
            arrived: Tally::default(),
        }
    }

    fn hook(&self) -> impl Fn(RequestReport) + Send + Sync + 'static {
        let this = self.clone();
        move |report| {
            {
                let mut book = lock(&this.slots);
                let id = report
                    .path()
                    .strip_prefix("/r/")
                    .and_then(|id| id.parse().ok());
                match id.filter(|&id: &usize| id < book.by_id.len()) {
                    Some(id) if book.by_id[id].is_none() => book.by_id[id] = Some(report),
                    Some(id) => book
                        .strays
                        .push(format!("a second report for r{id}: {report:?}")),
                    None => book
                        .strays
                        .push(format!("a report for no request: {report:?}")),
                }
            }
            this.arrived.add();
        }
    }
}

/// The labels and kinds of errors the runner's error hook received.
fn error_hook(seen: &Arc<Mutex<Vec<String>>>) -> impl Fn(&str, &TaskError) + Send + Sync + 'static {
    let seen = Arc::clone(seen);
    move |label, error| {
        let kind = match error {
            TaskError::Failed(_) => "failed",
            TaskError::Panicked(_) => "panicked",
            TaskError::TimedOut(_) => "timed out",
            TaskError::Abandoned(_) => "abandoned",
            _ => "other",
        };
        lock(&seen).push(format!("{label} {kind}"));
    }
}

/// The counters the contract predicts for `plans`, as `(queued, succeeded, failed, panicked,
/// skipped)`.
fn predicted_counts(plans: &[Plan]) -> (u64, u64, u64, u64, u64) {
    let (mut queued, mut succeeded, mut failed, mut panicked, mut skipped) = (0, 0, 0, 0, 0);
    for plan in plans {
        for outcome in plan.outcomes() {
            queued += 1;
            match outcome {
                Outcome::Succeeded => succeeded += 1,
                Outcome::Failed(_) => failed += 1,
                Outcome::Panicked(_) => panicked += 1,
                _ => skipped += 1,
            }
        }
    }
    (queued, succeeded, failed, panicked, skipped)
}

/// C4, C11, C14, C15 and C19 under load: 20,000 requests over 64 keep-alive connections, each
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
    quiet_deliberate_panics();
    let mut rng = Rng::new(SEED);
    let plans: Vec<Plan> = (0..REQUESTS).map(|id| Plan::random(id, &mut rng)).collect();
    // One more, sent once the load is over.
    let last = Plan {
        id: REQUESTS,
        tasks: vec![(Kind::Sync, End::Succeed), (Kind::Async, End::Succeed)],
        cut: false,
    };

    let harness = H::new();
    let hooked = Arc::new(Mutex::new(Vec::new()));
    let runner = Runner::new(harness.executor()).on_error(error_hook(&hooked));
    let reports = ReportSlots::new(REQUESTS + 1);
    let layer = BackgroundTasksLayer::with_runner(runner.clone()).on_report(reports.hook());
    let ran = Ran::new(REQUESTS + 1);
    // The gates of the cut-short bodies, kept shut until the check is over.
    let gates: Arc<Mutex<Vec<oneshot::Sender<()>>>> = Arc::default();
    let (r, g, held) = (ran.clone(), gates.clone(), Events::default());
    let addr = serve(&harness, layer, move |request| {
        let plan = Plan::parse(&request);
        plan.queue_tasks(&r);
        if plan.cut {
            let (open, gate) = oneshot::channel();
            lock(&g).push(open);
            let body = Chunks::new(&held, format!("r{}", plan.id), 2, 1024);
            chunks(body.streamed().held_by(gate))
        } else {
            respond(StatusCode::OK, boxed(Full::from(plan.id.to_string())))
        }
    });

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
        REQUESTS,
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
        .wait_for(REQUESTS + 1, WAIT_LIMIT, "the last report");
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

/// Sends `plan`'s request on `client` and reads its response; for a plan that is cut short, reads
/// the head and the first chunk, then hangs up and reconnects.
fn send(client: &mut Client, addr: SocketAddr, plan: &Plan) {
    let target = plan.target();
    if plan.cut {
        client.send("GET", &target);
        let head = client.read_head();
        assert_eq!(
            (head.status, head.header("transfer-encoding")),
            (200, Some("chunked")),
            "{target}: {head:?}"
        );
        assert_eq!(client.read_chunk().len(), 1024, "{target}");
        // Hangs up mid-body (the last chunk is held), and reconnects.
        *client = Client::connect(addr);
    } else {
        let (head, body) = client.request("GET", &target);
        assert_eq!(head.status, 200, "{target}: {head:?}");
        assert_eq!(body, plan.id.to_string().as_bytes(), "{target}");
    }
}

/// Requests, each queuing [`GATED_TASKS`] tasks, in the shutdown checks.
const GATED_REQUESTS: usize = 48;

/// Connections those requests are spread over.
const GATED_CONNECTIONS: usize = 6;

/// The runner's limit on queues running at once in the shutdown checks.
const MAX_RUNNING: usize = 4;

/// Per queue: a quick task, one that waits at the gate, a quick task.
const GATED_TASKS: usize = 3;

/// A gate that tasks wait at, sync ones blocking and async ones pending, until the check opens it.
#[derive(Clone, Default)]
struct Gate(Arc<(Mutex<GateState>, Condvar)>);

#[derive(Default)]
struct GateState {
    open: bool,
    wakers: Vec<Waker>,
}

impl Gate {
    fn open(&self) {
        let (state, changed) = &*self.0;
        let wakers = {
            let mut state = lock(state);
            state.open = true;
            std::mem::take(&mut state.wakers)
        };
        changed.notify_all();
        wakers.into_iter().for_each(Waker::wake);
    }

    /// Blocks until the gate opens; fails after a bound, so a broken check cannot hang a pool
    /// thread forever.
    fn wait(&self) -> Result<(), String> {
        let (state, changed) = &*self.0;
        let (state, _) = changed
            .wait_timeout_while(lock(state), 3 * WAIT_LIMIT, |state| !state.open)
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if state.open {
            Ok(())
        } else {
            Err("the gate was never opened".into())
        }
    }

    /// Resolves once the gate opens.
    fn opened(&self) -> impl Future<Output = ()> + Send + 'static {
        let gate = self.clone();
        std::future::poll_fn(move |cx| {
            let mut state = lock(&gate.0.0);
            if state.open {
                Poll::Ready(())
            } else {
                state.wakers.push(cx.waker().clone());
                Poll::Pending
            }
        })
    }
}

/// Opens the gate when dropped, so that a check failing half-way leaves no task waiting.
struct OpenOnDrop(Gate);

impl Drop for OpenOnDrop {
    fn drop(&mut self) {
        self.0.open();
    }
}

/// A server whose requests each queue [`GATED_TASKS`] tasks, the second held at `gate`, run by
/// `runner` under a limit of [`MAX_RUNNING`].
struct GatedServer<E> {
    addr: SocketAddr,
    runner: Runner<E>,
    gate: Gate,
    /// Gated tasks that have started.
    started: Tally,
    ran: Ran,
    reports: Reports,
    hooked: Arc<Mutex<Vec<String>>>,
}

/// Serves `/g/{id}` (queues the gated tasks, sync or async by `id`) and `/ping`.
fn serve_gated<H: HttpHarness>(harness: &H) -> GatedServer<H::Executor> {
    let hooked = Arc::new(Mutex::new(Vec::new()));
    let runner = Runner::new(harness.executor())
        .max_running(MAX_RUNNING)
        .on_error(error_hook(&hooked));
    let reports = Reports::default();
    let layer = BackgroundTasksLayer::with_runner(runner.clone()).on_report(reports.hook());
    let (gate, started, ran) = (Gate::default(), Tally::default(), Ran::new(GATED_REQUESTS));
    let (g, s, r) = (gate.clone(), started.clone(), ran.clone());
    let addr = serve(harness, layer, move |request| {
        let Some(id) = request.uri().path().strip_prefix("/g/") else {
            return text("pong");
        };
        let id: usize = id.parse().expect("/g/{id}");
        let tasks = queue();
        for index in 0..GATED_TASKS {
            // Sync and async alike, for the quick tasks and the gated one.
            let sync = match index {
                1 => id % 4 < 2,
                _ => (id + index) % 2 == 0,
            };
            let (gate, started, ran) = (g.clone(), s.clone(), r.clone());
            let task = match (sync, index == 1) {
                (true, true) => Task::sync(move || {
                    ran.record(id, index);
                    started.add();
                    gate.wait()
                }),
                (false, true) => Task::future(async move {
                    ran.record(id, index);
                    started.add();
                    gate.opened().await;
                    Ok::<(), String>(())
                }),
                (true, false) => Task::sync(move || ran.record(id, index)),
                (false, false) => Task::future(async move { ran.record(id, index) }),
            };
            tasks.add(task.with_label(format!("g{id}/{index}")));
        }
        text("queued")
    });
    GatedServer {
        addr,
        runner,
        gate,
        started,
        ran,
        reports,
        hooked,
    }
}

impl<E: Executor + Clone> GatedServer<E> {
    /// Sends every request, and waits until [`MAX_RUNNING`] queues hold their gated task while
    /// the others wait for a slot.
    fn load(&self) {
        let mut clients: Vec<Client> = (0..GATED_CONNECTIONS)
            .map(|_| Client::connect(self.addr))
            .collect();
        for id in 0..GATED_REQUESTS {
            let (head, body) = clients[id % GATED_CONNECTIONS].request("GET", &format!("/g/{id}"));
            assert_eq!((head.status, &*body), (200, &b"queued"[..]), "/g/{id}");
        }
        self.started
            .wait_for(MAX_RUNNING, WAIT_LIMIT, "gated tasks started");
        // Every response was received, so every body has ended or is about to be dropped (hyper
        // drops it before flushing its last bytes; another server may take a moment longer).
        let began = Instant::now();
        let handed_over = |m: &Metrics| m.running + m.waiting == GATED_REQUESTS as u64;
        while !handed_over(&self.runner.metrics()) && began.elapsed() < WAIT_LIMIT {
            std::thread::yield_now();
        }
        // With the gate shut, no queue can move on from here.
        let metrics = self.runner.metrics();
        assert_eq!(
            (
                self.started.get(),
                metrics.running,
                metrics.waiting,
                metrics.queued
            ),
            (
                MAX_RUNNING,
                MAX_RUNNING as u64,
                (GATED_REQUESTS - MAX_RUNNING) as u64,
                (GATED_REQUESTS * GATED_TASKS) as u64
            ),
            "(gated tasks started, running, waiting, queued); {metrics:?}"
        );
    }

    /// The report of request `id`'s queue.
    fn report(&self, id: usize) -> RequestReport {
        let report = self.reports.take(&format!("/g/{id}"));
        assert_eq!(
            (report.ending(), report.decision()),
            (Ending::Completed, Decision::Ran),
            "{report:?}"
        );
        report
    }

    fn assert_still_answers(&self) {
        assert_eq!(
            Client::connect(self.addr).request("GET", "/ping").1,
            b"pong"
        );
    }
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

/// Locks `mutex`, ignoring poisoning: a check that panicked while holding it fails on its own.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
