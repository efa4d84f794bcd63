//! The load behind the HTTP checks under load ([`checks`](crate::http::checks)'s `c14_…_under_load`
//! and `c16_shutdown_under_load_…`): the requests' seeded plans, the server's per-request logs and
//! report slots, and a server whose queues wait at a gate behind `max_running`.
//!
//! Each request carries its plan in its query (its tasks' kinds and outcomes, whether its client
//! will hang up), the handler builds the queue from it, and every task records `(request, task
//! index)` in a per-request log when it starts: what the checks compare with the contract's model.

use std::net::SocketAddr;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use background_tasks::{BackgroundTasks, Executor, Metrics, Outcome, Runner, Task, TaskError};
use background_tasks_tower::{Decision, Ending, RequestReport};

use crate::gate::{Gate, lock};
use crate::harness::{End, Kind, Rng};
use crate::http::checks::serve_app;
use crate::http::{App, Client, HttpHarness, Reply, Reports, RequestView, WAIT_LIMIT};
use crate::yield_now;

/// Requests sent by `c14_every_task_runs_exactly_once_under_load` unless the harness says
/// otherwise ([`HttpHarness::LOAD_REQUESTS`](crate::http::HttpHarness::LOAD_REQUESTS)).
pub const LOAD_REQUESTS: usize = 2_000;

/// What the reference harness (axum on tokio's multi-thread runtime, the production setup)
/// sends: ten times as many, for a race rare enough to hide in a smaller run.
pub const REFERENCE_LOAD_REQUESTS: usize = 20_000;

/// Keep-alive connections (and client threads) they are sent over.
pub(super) const CONNECTIONS: usize = 64;

/// The seed of the requests' plans: change it to draw other work, quote it to replay a failure.
pub(super) const SEED: u64 = 0x5eed_0c14;

/// What one request asks of the server, sent in its target: `/r/{id}?cut={0|1}&tasks={pairs}`,
/// one pair of letters per task (`s`ync or `a`sync, then o`k`, `f`ail or `p`anic).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Plan {
    pub(super) id: usize,
    pub(super) tasks: Vec<(Kind, End)>,
    /// Whether the client hangs up mid-body.
    pub(super) cut: bool,
}

impl Plan {
    /// 1 to 5 tasks, each sync or async alike, failing 10 % and panicking 2 % of the time; 5 % of
    /// clients hang up mid-body.
    pub(super) fn random(id: usize, rng: &mut Rng) -> Self {
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

    pub(super) fn target(&self) -> String {
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
    pub(super) fn parse(request: &RequestView) -> Self {
        let id = request
            .path
            .strip_prefix("/r/")
            .and_then(|id| id.parse().ok())
            .unwrap_or_else(|| panic!("not a planned request: {request:?}"));
        let (mut cut, mut tasks) = (false, Vec::new());
        for pair in request.query.as_deref().unwrap_or_default().split('&') {
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
    pub(super) fn runs(&self) -> usize {
        self.tasks
            .iter()
            .position(|&(_, end)| end != End::Succeed)
            .map_or(self.tasks.len(), |at| at + 1)
    }

    /// The outcome of each task, as the contract predicts it: what ran ended as planned, the rest
    /// was skipped.
    pub(super) fn outcomes(&self) -> Vec<Outcome> {
        let runs = self.runs();
        (0..self.tasks.len())
            .map(|index| match self.tasks[index].1 {
                _ if index >= runs => Outcome::Skipped,
                end => end.outcome(&label(self.id, index)),
            })
            .collect()
    }

    /// The request's queue: each task records itself in `ran`, then ends as planned.
    pub(super) fn queue_tasks(&self, ran: &Ran, tasks: &BackgroundTasks) {
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

pub(super) fn label(id: usize, index: usize) -> String {
    format!("r{id}/{index}")
}

/// Which tasks of each request ran, in the order they started: one slot per request, so that
/// "exactly once, in order" is a comparison with `[0, 1, …]`.
#[derive(Clone)]
pub(super) struct Ran(Arc<[Mutex<Vec<u8>>]>);

impl Ran {
    pub(super) fn new(requests: usize) -> Self {
        Self((0..requests).map(|_| Mutex::default()).collect())
    }

    pub(super) fn record(&self, id: usize, index: usize) {
        lock(&self.0[id]).push(index as u8);
    }

    pub(super) fn of(&self, id: usize) -> Vec<u8> {
        lock(&self.0[id]).clone()
    }

    pub(super) fn total(&self) -> usize {
        self.0.iter().map(|slot| lock(slot).len()).sum()
    }
}

/// A count that a check can wait for.
#[derive(Clone, Default)]
pub(super) struct Tally(Arc<(Mutex<usize>, Condvar)>);

impl Tally {
    pub(super) fn add(&self) {
        *lock(&self.0.0) += 1;
        self.0.1.notify_all();
    }

    pub(super) fn get(&self) -> usize {
        *lock(&self.0.0)
    }

    /// Waits until the count reaches `n`.
    ///
    /// # Panics
    ///
    /// After `limit`, naming `what`.
    pub(super) fn wait_for(&self, n: usize, limit: Duration, what: &str) {
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
pub(super) struct ReportSlots {
    pub(super) slots: Arc<Mutex<ReportBook>>,
    pub(super) arrived: Tally,
}

pub(super) struct ReportBook {
    pub(super) by_id: Vec<Option<RequestReport>>,
    pub(super) strays: Vec<String>,
}

impl ReportSlots {
    pub(super) fn new(requests: usize) -> Self {
        Self {
            slots: Arc::new(Mutex::new(ReportBook {
                by_id: vec![None; requests],
                strays: Vec::new(),
            })),
            arrived: Tally::default(),
        }
    }

    pub(super) fn hook(&self) -> impl Fn(RequestReport) + Send + Sync + 'static {
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
pub(super) fn error_hook(
    seen: &Arc<Mutex<Vec<String>>>,
) -> impl Fn(&str, &TaskError) + Send + Sync + 'static {
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
pub(super) fn predicted_counts(plans: &[Plan]) -> (u64, u64, u64, u64, u64) {
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

/// Sends `plan`'s request on `client` and reads its response; for a plan that is cut short, reads
/// the head and the first chunk, then hangs up and reconnects.
pub(super) fn send(client: &mut Client, addr: SocketAddr, plan: &Plan) {
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
pub(super) const GATED_REQUESTS: usize = 48;

/// Connections those requests are spread over.
pub(super) const GATED_CONNECTIONS: usize = 6;

/// The runner's limit on queues running at once in the shutdown checks.
pub(super) const MAX_RUNNING: usize = 4;

/// Per queue: a quick task, one that waits at the gate, a quick task.
pub(super) const GATED_TASKS: usize = 3;

/// Opens the gate when dropped, so that a check failing half-way leaves no task waiting.
pub(super) struct OpenOnDrop(pub(super) Gate);

impl Drop for OpenOnDrop {
    fn drop(&mut self) {
        self.0.open();
    }
}

/// A server whose requests each queue [`GATED_TASKS`] tasks, the second held at `gate`, run by
/// `runner` under a limit of [`MAX_RUNNING`].
pub(super) struct GatedServer<E> {
    pub(super) addr: SocketAddr,
    pub(super) runner: Runner<E>,
    pub(super) gate: Gate,
    /// Gated tasks that have started.
    pub(super) started: Tally,
    pub(super) ran: Ran,
    pub(super) reports: Reports,
    pub(super) hooked: Arc<Mutex<Vec<String>>>,
}

/// Serves `/g/{id}` (queues the gated tasks, sync or async by `id`) and `/ping`.
pub(super) fn serve_gated<H: HttpHarness>(harness: &H) -> GatedServer<H::Executor> {
    let hooked = Arc::new(Mutex::new(Vec::new()));
    let runner = Runner::new(harness.executor())
        .max_running(MAX_RUNNING)
        .on_error(error_hook(&hooked));
    let reports = Reports::default();
    let (gate, started, ran) = (
        Gate::new(3 * WAIT_LIMIT),
        Tally::default(),
        Ran::new(GATED_REQUESTS),
    );
    let (g, s, r) = (gate.clone(), started.clone(), ran.clone());
    let app = App::new(&reports, move |request, tasks| {
        let Some(id) = request.path.strip_prefix("/g/") else {
            return Reply::text("pong").into();
        };
        let id: usize = id.parse().expect("/g/{id}");
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
        Reply::text("queued").into()
    })
    .runner(runner.clone());
    let addr = serve_app(harness, app);
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
    pub(super) fn load(&self) {
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
    pub(super) fn report(&self, id: usize) -> RequestReport {
        let report = self.reports.take(&format!("/g/{id}"));
        assert_eq!(
            (report.ending(), report.decision()),
            (Ending::Completed, Decision::Ran),
            "{report:?}"
        );
        report
    }

    pub(super) fn assert_still_answers(&self) {
        assert_eq!(
            Client::connect(self.addr).request("GET", "/ping").1,
            b"pong"
        );
    }
}
