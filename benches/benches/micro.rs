//! Run with: cargo bench -p background-tasks-benches --bench micro
//!
//! Criterion micro benchmarks: each group puts ours (`ours`) beside the hand-written counterpart
//! doing the same work (`raw`), on tokio (multi-thread runtime), smol (global executor) and
//! async-std. Every task is the same trivial one: add its captured `u64` to an atomic counter.
//!
//! | group | ours | raw |
//! |---|---|---|
//! | `enqueue` | `add_task` / `add_async_task` on a fresh queue, 64 tasks | pushing the boxed closure / boxed future into a `VecDeque`, 64 times |
//! | `async_tasks/<rt>/{1,10}` | a queue of N async tasks, `Runner::run` awaited inline | awaiting N boxed futures (`Box::pin(fut).await`) |
//! | `one_sync_task/<rt>` | `add_task(f)` then `Runner::run` awaited | the runtime's `spawn_blocking(f)` awaited |
//! | `ten_sync_tasks/<rt>` | ten `add_task` then `Runner::run` awaited (one trip to the pool) | one `spawn_blocking` running ten boxed closures, awaited |
//! | `mixed_queue/<rt>` | sync, sync, async, sync, async, then `Runner::run` awaited | the same trips by hand: a blocking trip for two boxed closures, a boxed future, a trip for one boxed closure, a boxed future |
//!
//! The timed loops run inside a task on the runtime (a worker thread), as a handler's code would.
//! `ours` includes making the queue (`Runner::queue`), as the layer does per request.
//!
//! At the end, a table of `ours ÷ raw` (median times) for the groups that ran, read from
//! criterion's `estimates.json`. Shorten a smoke run with
//! `-- --warm-up-time 1 --measurement-time 2 one_sync_task/tokio`.

use std::collections::VecDeque;
use std::future::Future;
use std::hint::black_box;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use background_tasks::{BackgroundTasks, Executor, Runner};
use background_tasks_async_std::AsyncStdExecutor;
use background_tasks_benches::{AsyncStd, Runtime, Smol, Tokio};
use background_tasks_smol::SmolExecutor;
use background_tasks_tokio::TokioExecutor;
use criterion::{BatchSize, BenchmarkId, Criterion, Throughput};

/// What the trivial tasks add to.
static SUM: AtomicU64 = AtomicU64::new(0);

/// The trivial task's work.
fn work(n: u64) {
    SUM.fetch_add(black_box(n), Ordering::Relaxed);
}

type BoxedJob = Box<dyn FnOnce() + Send + 'static>;
type BoxedFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// How many tasks one `enqueue` iteration adds.
const ENQUEUE_BATCH: u64 = 64;

/// A runtime as the benches drive it: its adapter's executor, its raw primitives, and a way to
/// run a timed loop on one of its worker threads.
trait Harness {
    /// The runtime's raw primitives.
    type Raw: Runtime;
    /// The adapter's executor.
    type Executor: Executor + Clone;

    fn executor(&self) -> Self::Executor;

    /// Runs `future` as a task on the runtime and blocks until it is done.
    fn on_worker<T: Send + 'static>(&self, future: impl Future<Output = T> + Send + 'static) -> T;
}

struct TokioHarness {
    runtime: tokio::runtime::Runtime,
}

impl Harness for TokioHarness {
    type Raw = Tokio;
    type Executor = TokioExecutor;

    fn executor(&self) -> TokioExecutor {
        TokioExecutor::from_handle(self.runtime.handle().clone())
    }

    fn on_worker<T: Send + 'static>(&self, future: impl Future<Output = T> + Send + 'static) -> T {
        self.runtime
            .block_on(self.runtime.spawn(future))
            .expect("the timed loop does not panic")
    }
}

struct SmolHarness;

impl Harness for SmolHarness {
    type Raw = Smol;
    type Executor = SmolExecutor;

    fn executor(&self) -> SmolExecutor {
        SmolExecutor::new()
    }

    fn on_worker<T: Send + 'static>(&self, future: impl Future<Output = T> + Send + 'static) -> T {
        smol::block_on(smol::spawn(future))
    }
}

struct AsyncStdHarness;

impl Harness for AsyncStdHarness {
    type Raw = AsyncStd;
    type Executor = AsyncStdExecutor;

    fn executor(&self) -> AsyncStdExecutor {
        AsyncStdExecutor::new()
    }

    fn on_worker<T: Send + 'static>(&self, future: impl Future<Output = T> + Send + 'static) -> T {
        async_std::task::block_on(async_std::task::spawn(future))
    }
}

/// `add_task` / `add_async_task` against pushing the same boxed work into a `VecDeque`.
fn enqueue(c: &mut Criterion) {
    let mut group = c.benchmark_group("enqueue");
    group.throughput(Throughput::Elements(ENQUEUE_BATCH));
    // Each iteration fills a fresh queue; making it and dropping it are outside the timing.
    group.bench_function("ours_sync", |b| {
        b.iter_batched(
            BackgroundTasks::new,
            |tasks| {
                for n in 0..ENQUEUE_BATCH {
                    tasks.add_task(move || work(n));
                }
                tasks
            },
            BatchSize::SmallInput,
        );
    });
    group.bench_function("raw_sync", |b| {
        b.iter_batched(
            VecDeque::<BoxedJob>::new,
            |mut queue| {
                for n in 0..ENQUEUE_BATCH {
                    queue.push_back(Box::new(move || work(n)));
                }
                queue
            },
            BatchSize::SmallInput,
        );
    });
    group.bench_function("ours_async", |b| {
        b.iter_batched(
            BackgroundTasks::new,
            |tasks| {
                for n in 0..ENQUEUE_BATCH {
                    tasks.add_async_task(async move { work(n) });
                }
                tasks
            },
            BatchSize::SmallInput,
        );
    });
    group.bench_function("raw_async", |b| {
        b.iter_batched(
            VecDeque::<BoxedFuture>::new,
            |mut queue| {
                for n in 0..ENQUEUE_BATCH {
                    queue.push_back(Box::pin(async move { work(n) }));
                }
                queue
            },
            BatchSize::SmallInput,
        );
    });
    group.finish();
}

/// A queue of N async tasks run inline, against awaiting N boxed futures.
fn async_tasks<H: Harness>(c: &mut Criterion, harness: &H) {
    let runner = Runner::new(harness.executor());
    let mut group = c.benchmark_group(format!("async_tasks/{}", H::Raw::NAME));
    for tasks in [1_u64, 10] {
        group.throughput(Throughput::Elements(tasks));
        group.bench_with_input(BenchmarkId::new("ours", tasks), &tasks, |b, &n| {
            b.iter_custom(|iters| {
                let runner = runner.clone();
                harness.on_worker(async move {
                    let start = Instant::now();
                    for _ in 0..iters {
                        let queue = runner.queue();
                        for i in 0..n {
                            queue.add_async_task(async move { work(i) });
                        }
                        black_box(runner.run(queue).await);
                    }
                    start.elapsed()
                })
            });
        });
        group.bench_with_input(BenchmarkId::new("raw", tasks), &tasks, |b, &n| {
            b.iter_custom(|iters| {
                harness.on_worker(async move {
                    let start = Instant::now();
                    for _ in 0..iters {
                        for i in 0..n {
                            let future: BoxedFuture = Box::pin(async move { work(i) });
                            black_box(future).await;
                        }
                    }
                    start.elapsed()
                })
            });
        });
    }
    group.finish();
}

/// One sync task through the queue, against the runtime's `spawn_blocking` awaited.
fn one_sync_task<H: Harness>(c: &mut Criterion, harness: &H) {
    let runner = Runner::new(harness.executor());
    let mut group = c.benchmark_group(format!("one_sync_task/{}", H::Raw::NAME));
    group.throughput(Throughput::Elements(1));
    group.bench_function("ours", |b| {
        b.iter_custom(|iters| {
            let runner = runner.clone();
            harness.on_worker(async move {
                let start = Instant::now();
                for i in 0..iters {
                    let queue = runner.queue();
                    queue.add_task(move || work(i));
                    black_box(runner.run(queue).await);
                }
                start.elapsed()
            })
        });
    });
    group.bench_function("raw", |b| {
        b.iter_custom(|iters| {
            harness.on_worker(async move {
                let start = Instant::now();
                for i in 0..iters {
                    H::Raw::unblock(move || work(i)).await;
                }
                start.elapsed()
            })
        });
    });
    group.finish();
}

/// Ten sync tasks through the queue (one trip), against one `spawn_blocking` running ten boxed
/// closures.
fn ten_sync_tasks<H: Harness>(c: &mut Criterion, harness: &H) {
    let runner = Runner::new(harness.executor());
    let mut group = c.benchmark_group(format!("ten_sync_tasks/{}", H::Raw::NAME));
    group.throughput(Throughput::Elements(10));
    group.bench_function("ours", |b| {
        b.iter_custom(|iters| {
            let runner = runner.clone();
            harness.on_worker(async move {
                let start = Instant::now();
                for _ in 0..iters {
                    let queue = runner.queue();
                    for i in 0..10 {
                        queue.add_task(move || work(i));
                    }
                    black_box(runner.run(queue).await);
                }
                start.elapsed()
            })
        });
    });
    group.bench_function("raw", |b| {
        b.iter_custom(|iters| {
            harness.on_worker(async move {
                let start = Instant::now();
                for _ in 0..iters {
                    let jobs: Vec<BoxedJob> = (0..10)
                        .map(|i| Box::new(move || work(i)) as BoxedJob)
                        .collect();
                    H::Raw::unblock(move || jobs.into_iter().for_each(|job| job())).await;
                }
                start.elapsed()
            })
        });
    });
    group.finish();
}

/// sync, sync, async, sync, async: the queue against the same trips by hand.
fn mixed_queue<H: Harness>(c: &mut Criterion, harness: &H) {
    let runner = Runner::new(harness.executor());
    let mut group = c.benchmark_group(format!("mixed_queue/{}", H::Raw::NAME));
    group.throughput(Throughput::Elements(5));
    group.bench_function("ours", |b| {
        b.iter_custom(|iters| {
            let runner = runner.clone();
            harness.on_worker(async move {
                let start = Instant::now();
                for _ in 0..iters {
                    let queue = runner.queue();
                    queue.add_task(|| work(1));
                    queue.add_task(|| work(2));
                    queue.add_async_task(async { work(3) });
                    queue.add_task(|| work(4));
                    queue.add_async_task(async { work(5) });
                    black_box(runner.run(queue).await);
                }
                start.elapsed()
            })
        });
    });
    group.bench_function("raw", |b| {
        b.iter_custom(|iters| {
            harness.on_worker(async move {
                let start = Instant::now();
                for _ in 0..iters {
                    let first: Vec<BoxedJob> = vec![Box::new(|| work(1)), Box::new(|| work(2))];
                    let third: BoxedFuture = Box::pin(async { work(3) });
                    let fourth: BoxedJob = Box::new(|| work(4));
                    let fifth: BoxedFuture = Box::pin(async { work(5) });
                    H::Raw::unblock(move || first.into_iter().for_each(|job| job())).await;
                    third.await;
                    H::Raw::unblock(fourth).await;
                    fifth.await;
                }
                start.elapsed()
            })
        });
    });
    group.finish();
}

fn on_runtime<H: Harness>(c: &mut Criterion, harness: &H) {
    async_tasks(c, harness);
    one_sync_task(c, harness);
    ten_sync_tasks(c, harness);
    mixed_queue(c, harness);
}

fn main() {
    let started = SystemTime::now();
    let mut c = Criterion::default().configure_from_args();

    enqueue(&mut c);
    let tokio = TokioHarness {
        runtime: tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime"),
    };
    on_runtime(&mut c, &tokio);
    on_runtime(&mut c, &SmolHarness);
    on_runtime(&mut c, &AsyncStdHarness);

    c.final_summary();
    print_ratios(started);
}

/// The `ours`/`raw` pairs: (group as shown, group's directory, ours, raw), with criterion's names.
fn pairs() -> Vec<(String, String, String, String)> {
    let pair = |group: String, ours: &str, raw: &str| {
        // criterion makes ids into directory names by replacing `/` (and a few others) with `_`.
        let dir = group.replace('/', "_");
        (group, dir, ours.to_owned(), raw.to_owned())
    };
    let mut pairs = vec![
        pair("enqueue".to_owned(), "ours_sync", "raw_sync"),
        pair("enqueue".to_owned(), "ours_async", "raw_async"),
    ];
    for runtime in [Tokio::NAME, Smol::NAME, AsyncStd::NAME] {
        for n in ["1", "10"] {
            pairs.push(pair(
                format!("async_tasks/{runtime}"),
                &format!("ours/{n}"),
                &format!("raw/{n}"),
            ));
        }
        for group in ["one_sync_task", "ten_sync_tasks", "mixed_queue"] {
            pairs.push(pair(format!("{group}/{runtime}"), "ours", "raw"));
        }
    }
    pairs
}

/// Prints `ours ÷ raw` for every pair whose estimates this run wrote.
fn print_ratios(started: SystemTime) {
    let home = criterion_home();
    let mut lines = Vec::new();
    for (group, dir, ours, raw) in pairs() {
        let estimates = |id: &str| Estimates::read(&home.join(&dir).join(id), started);
        if let (Some(ours_est), Some(raw_est)) = (estimates(&ours), estimates(&raw)) {
            lines.push(format!(
                "| {group} | {ours} vs {raw} | {} | {} | {:.2} | {:.2} |",
                format_ns(ours_est.median),
                format_ns(raw_est.median),
                ours_est.median / raw_est.median,
                ours_est.headline / raw_est.headline,
            ));
        }
    }
    if lines.is_empty() {
        return;
    }
    println!();
    println!("ours ÷ raw per iteration (target for the per-task run cost: ≤ 1.20).");
    println!("`median`: of the samples' times per iteration; `criterion`: the estimate criterion");
    println!("prints (the slope of the linear fit, or the mean). A big gap between the two");
    println!("ratios means a noisy machine: rerun on a quiet one.");
    println!();
    println!(
        "| group | pair | ours (median) | raw (median) | ratio (median) | ratio (criterion) |"
    );
    println!("|---|---|---:|---:|---:|---:|");
    for line in lines {
        println!("{line}");
    }
    println!();
    println!("(from {})", home.display());
}

/// The point estimates, in nanoseconds per iteration, of one benchmark.
struct Estimates {
    median: f64,
    headline: f64,
}

impl Estimates {
    /// Reads a benchmark's `new/estimates.json`, if this run wrote it.
    fn read(dir: &std::path::Path, started: SystemTime) -> Option<Self> {
        let file = dir.join("new").join("estimates.json");
        let modified = std::fs::metadata(&file).ok()?.modified().ok()?;
        if modified < started {
            return None; // left over from an earlier run (filtered out this time)
        }
        let json = std::fs::read_to_string(file).ok()?;
        let median = point_estimate(&json, "median")?;
        let headline = point_estimate(&json, "slope")
            .or_else(|| point_estimate(&json, "mean"))
            .unwrap_or(median);
        Some(Self { median, headline })
    }
}

/// `point_estimate` of the statistic `name` in criterion's estimates JSON (`None` when it is
/// `null` or missing). Criterion writes each statistic as an object whose only nested object is
/// the confidence interval, before `point_estimate`.
fn point_estimate(json: &str, name: &str) -> Option<f64> {
    let key = format!("\"{name}\":");
    let rest = json[json.find(&key)? + key.len()..].trim_start();
    if !rest.starts_with('{') {
        return None;
    }
    let field = "\"point_estimate\":";
    let value = &rest[rest.find(field)? + field.len()..];
    let end = value.find([',', '}'])?;
    value[..end].trim().parse().ok()
}

/// Where criterion writes its results: as criterion decides it, for a bench run by cargo.
fn criterion_home() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return home.into();
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(target).join("criterion");
    }
    // The bench runs as <target>/<profile>/deps/micro-<hash>.
    std::env::current_exe()
        .ok()
        .and_then(|exe| {
            exe.ancestors()
                .nth(3)
                .map(|target| target.join("criterion"))
        })
        .unwrap_or_else(|| PathBuf::from("target/criterion"))
}

fn format_ns(ns: f64) -> String {
    let duration = Duration::from_secs_f64(ns / 1e9);
    if ns < 1_000.0 {
        format!("{ns:.1} ns")
    } else {
        format!("{:.2} µs", duration.as_secs_f64() * 1e6)
    }
}
