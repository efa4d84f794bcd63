//! Run with: cargo bench -p background-tasks-benches --bench allocations
//!
//! Heap allocations per request, counted by a counting global allocator (`allocation-counter`),
//! for each scenario of `background_tasks_benches::Scenario`.
//!
//! Each request is driven in-process on a tokio current-thread runtime: a real `Request` through
//! `tower::ServiceExt::oneshot`, the response body collected (which is what starts the queue),
//! then the scenario's background work awaited to its end (the runner idle, every task run). The
//! allocator counts per thread, and on a current-thread runtime every spawned task runs on the
//! measuring thread; only jobs on the blocking pool run elsewhere. So the sync scenarios are
//! measured twice: with tokio's blocking pool (what the request's thread pays), and with the
//! blocking jobs run inline on the measuring thread (everything counted).
//!
//! The wait polls counters between `yield_now`s instead of awaiting `Runner::idle`, whose
//! listener would allocate and be counted against the layer.
//!
//! Options (after `--`): `--requests N` (default 2000), `--warm-up N` (default 200). This is a
//! measurement: it never fails on a number.

use std::convert::Infallible;
use std::time::Duration;

use allocation_counter::AllocationInfo;
use axum::body::{Body, HttpBody};
use axum::http::{Request, Response};
use background_tasks::{BlockingError, BlockingJob, BoxFuture, Executor};
use background_tasks_benches::{App, Placement, Scenario, Stats, Tokio};
use background_tasks_tokio::TokioExecutor;
use http_body_util::BodyExt;
use tower::{Layer, Service, ServiceExt};

/// An executor that runs blocking jobs inline, on the thread that asks, so that the allocator
/// (which counts per thread) sees them; futures go to `E`.
#[derive(Debug, Clone)]
struct InlineBlocking<E>(E);

impl<E: Executor> Executor for InlineBlocking<E> {
    fn spawn(&self, future: BoxFuture<()>) {
        self.0.spawn(future);
    }

    fn spawn_blocking(&self, job: BlockingJob) -> BoxFuture<Result<(), BlockingError>> {
        job();
        Box::pin(std::future::ready(Ok(())))
    }

    fn sleep(&self, duration: Duration) -> Option<BoxFuture<()>> {
        self.0.sleep(duration)
    }
}

/// Where blocking jobs run during the measurement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Blocking {
    /// tokio's blocking pool: its threads' allocations are not counted.
    Pool,
    /// Inline on the measuring thread: counted.
    Inline,
}

struct Row {
    scenario: Scenario,
    placement: &'static str,
    blocking: Blocking,
    /// Counted over all the measured requests.
    total: AllocationInfo,
    requests: u64,
    stats: Stats,
}

struct Options {
    requests: usize,
    warm_up: usize,
}

fn options() -> Options {
    let mut options = Options {
        requests: 2000,
        warm_up: 200,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|arg| arg == "--test") {
        // `cargo test --benches`: just check that it runs.
        options.requests = 10;
        options.warm_up = 10;
    }
    let value = |name: &str| {
        args.iter()
            .position(|arg| arg == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse::<usize>().ok())
    };
    if let Some(n) = value("--requests") {
        options.requests = n.max(1);
    }
    if let Some(n) = value("--warm-up") {
        options.warm_up = n;
    }
    options
}

fn main() {
    let options = options();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");

    let mut rows = Vec::new();
    for scenario in Scenario::ALL {
        rows.push(measure(
            &runtime,
            &options,
            scenario,
            Placement::InsideRouter,
            Blocking::Pool,
        ));
    }
    for scenario in [Scenario::LayerEmpty, Scenario::OneAsync, Scenario::OneSync] {
        rows.push(measure(
            &runtime,
            &options,
            scenario,
            Placement::AroundRouter,
            Blocking::Pool,
        ));
    }
    // The hand-written `spawn_blocking`'s job allocates nothing: its pool row is complete.
    for scenario in [Scenario::OneSync, Scenario::TenSync] {
        rows.push(measure(
            &runtime,
            &options,
            scenario,
            Placement::InsideRouter,
            Blocking::Inline,
        ));
    }
    print_table(&options, &rows);
}

fn measure(
    runtime: &tokio::runtime::Runtime,
    options: &Options,
    scenario: Scenario,
    placement: Placement,
    blocking: Blocking,
) -> Row {
    let _entered = runtime.enter();
    let row = |total, stats| Row {
        scenario,
        placement: match (scenario.has_layer(), placement) {
            (false, _) => "-",
            (true, Placement::InsideRouter) => "Router::layer",
            (true, Placement::AroundRouter) => "around Router",
        },
        blocking,
        total,
        requests: options.requests as u64,
        stats,
    };
    match blocking {
        Blocking::Pool => {
            let app = App::new::<Tokio>(scenario, TokioExecutor::new(), placement);
            let (info, stats) = drive(runtime, options, &app);
            row(info, stats)
        }
        Blocking::Inline => {
            let app = App::new::<Tokio>(scenario, InlineBlocking(TokioExecutor::new()), placement);
            let (info, stats) = drive(runtime, options, &app);
            row(info, stats)
        }
    }
}

/// Warms up, then counts the allocations of `options.requests` requests; returns them and the
/// counters' growth over the measured requests.
fn drive<E: Executor + Clone>(
    runtime: &tokio::runtime::Runtime,
    options: &Options,
    app: &App<E>,
) -> (AllocationInfo, Stats) {
    let served = || -> Served {
        match app.layer() {
            Some(layer) => Served::Around(layer.layer(app.router())),
            None => Served::Router(app.router()),
        }
    };
    let requests = |n: usize| -> Vec<Request<Body>> {
        (0..n)
            .map(|_| {
                Request::get("/")
                    .body(Body::empty())
                    .expect("a valid request")
            })
            .collect()
    };

    let warm_up = requests(options.warm_up);
    runtime.block_on(async {
        for request in warm_up {
            served().send(request, app).await;
        }
    });

    // Built before counting: the requests are the client's, not the server's.
    let measured = requests(options.requests);
    let before = app.stats();
    let service = served();
    let total = allocation_counter::measure(|| {
        runtime.block_on(async {
            for request in measured {
                service.clone().send(request, app).await;
            }
        });
    });
    (total, difference(app.stats(), before))
}

/// The application as served: the router, or the layer around it.
#[derive(Clone)]
enum Served {
    Router(axum::Router),
    Around(background_tasks_tower::BackgroundTasksService<axum::Router>),
}

impl Served {
    /// One request: response, body to its end, background work to its end.
    async fn send<E: Executor + Clone>(self, request: Request<Body>, app: &App<E>) {
        match self {
            Self::Router(router) => collect(router, request).await,
            Self::Around(service) => collect(service, request).await,
        }
        // Poll the runner's counters, not `Runner::idle`: its listener would be counted.
        while !app.stats().is_drained() {
            tokio::task::yield_now().await;
        }
    }
}

async fn collect<S, B>(service: S, request: Request<Body>)
where
    S: Service<Request<Body>, Response = Response<B>, Error = Infallible>,
    B: HttpBody,
    B::Error: std::fmt::Debug,
{
    let Ok(response) = service.oneshot(request).await;
    let body = response
        .into_body()
        .collect()
        .await
        .expect("the body is in memory");
    std::hint::black_box(body);
}

fn difference(after: Stats, before: Stats) -> Stats {
    Stats {
        requests: after.requests - before.requests,
        queued: after.queued - before.queued,
        completed: after.completed - before.completed,
        spawns: after.spawns - before.spawns,
        blocking_trips: after.blocking_trips - before.blocking_trips,
        largest_spawn: after.largest_spawn,
        runner_queued: after.runner_queued - before.runner_queued,
        runner_settled: after.runner_settled - before.runner_settled,
        runner_busy: after.runner_busy,
    }
}

fn print_table(options: &Options, rows: &[Row]) {
    let per = |value: u64, row: &Row| value as f64 / row.requests as f64;
    let bare = rows
        .iter()
        .find(|row| row.scenario == Scenario::Bare)
        .map(|row| per(row.total.count_total, row));

    println!();
    println!(
        "Allocations per request: axum Router in-process on a tokio current-thread runtime, \
         {} requests after {} warm-up, each response body collected and its background work \
         awaited.",
        options.requests, options.warm_up
    );
    println!();
    println!(
        "| scenario | layer | blocking jobs | allocations/req | bytes/req | Δ allocations vs bare | \
         spawns/req | blocking trips/req | tasks run/req | largest spawn (bytes) |"
    );
    println!("|---|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        let allocations = per(row.total.count_total, row);
        let delta = bare.map_or("?".to_owned(), |bare| format!("{:+.2}", allocations - bare));
        let blocking = match (row.scenario.tasks_per_request(), row.blocking) {
            (0, _) => "-",
            (_, Blocking::Pool) if is_sync(row.scenario) => "pool (not counted)",
            (_, Blocking::Inline) => "inline (counted)",
            _ => "-",
        };
        println!(
            "| {} | {} | {} | {:.2} | {:.0} | {} | {:.2} | {:.2} | {:.2} | {} |",
            row.scenario,
            row.placement,
            blocking,
            allocations,
            per(row.total.bytes_total, row),
            delta,
            per(row.stats.spawns, row),
            per(row.stats.blocking_trips, row),
            per(row.stats.completed, row),
            row.stats.largest_spawn,
        );
    }

    let find = |scenario: Scenario, placement: &str, blocking: Blocking| {
        rows.iter()
            .find(|r| r.scenario == scenario && r.placement == placement && r.blocking == blocking)
            .map(|row| per(row.total.count_total, row))
    };
    println!();
    println!("Targets (checked by a person, not by this bench):");
    if let (Some(bare), Some(layer)) = (
        bare,
        find(Scenario::LayerEmpty, "Router::layer", Blocking::Pool),
    ) {
        println!(
            "- layer, no task, as the README installs it: {:+.2} allocations/request vs bare \
             (target: 0 extra)",
            layer - bare
        );
    }
    if let (Some(bare), Some(noop)) = (bare, find(Scenario::NoopLayer, "-", Blocking::Pool)) {
        println!(
            "- of which any axum layer costs (tower's Identity layer): {:+.2}",
            noop - bare
        );
    }
    if let (Some(bare), Some(around)) = (
        bare,
        find(Scenario::LayerEmpty, "around Router", Blocking::Pool),
    ) {
        println!(
            "- layer, no task, around the Router (the layer's own cost): {:+.2}",
            around - bare
        );
    }
    for scenario in [Scenario::OneAsync, Scenario::TenAsync] {
        if let Some(row) = rows
            .iter()
            .find(|r| r.scenario == scenario && r.placement == "Router::layer")
        {
            println!(
                "- {scenario}: {:.2} spawns/request (target: at most 1 whatever the number of \
                 async tasks)",
                per(row.stats.spawns, row)
            );
        }
    }
}

fn is_sync(scenario: Scenario) -> bool {
    matches!(
        scenario,
        Scenario::OneSync
            | Scenario::TenSync
            | Scenario::RawSpawnBlocking
            | Scenario::RawSpawnBlockingTen
    )
}
