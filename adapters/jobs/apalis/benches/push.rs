//! The push paths side by side, on real SQLite, Postgres and Redis started here: a request's job
//! pushed by the bridge (group commit) against the same job pushed with apalis's own `push`, both
//! as the one task of a request's queue, in the same run.
//!
//! Run with: `cargo bench -p background-tasks-apalis --bench push --all-features` (about two
//! minutes; `--all-features` adds `sqlite-rows`, the `sqlite` feature's `Jobs::sqlite`, beside
//! apalis's own push on the same database). CI compiles it and never runs it. Settings: `PUSH_BENCH_SECONDS` per measurement (default 3),
//! `PUSH_BENCH_CONCURRENCY` (default 64).
//!
//! - **throughput**: `CONCURRENCY` request loops, each running one queue after another with one
//!   job, for the measurement's duration; jobs committed per second.
//! - **lone request**: one request at a time; the time from starting its queue's run to the end
//!   of the run (the job committed), median and p99.
//! - **what each way adds to a response**: what the handler waits for before it can answer.
//!   `add_job` (after the response): the time to queue the job. `jobs.push(job).await`
//!   (confirmed before the response, in the group commit): the time to its commit, alone and
//!   with `CONCURRENCY` handlers pushing at once, beside a handler awaiting apalis's own
//!   `storage.push(job)` in the same run; median and p99, and confirmed ÷ apalis.

use std::future::Future;
use std::str::FromStr;
use std::time::{Duration, Instant};

use apalis_core::backend::TaskSink;
use background_tasks::{BackgroundTasks, Runner};
use background_tasks_apalis::{AddJob, Jobs};
use background_tasks_apalis_test_servers::{Postgres, Redis, TempDir};
use background_tasks_tokio::TokioExecutor;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
struct WriteNotification {
    email: String,
    message: String,
}

fn job(i: u64) -> WriteNotification {
    WriteNotification {
        email: format!("user-{i}@example.com"),
        message: "some notification".to_owned(),
    }
}

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs `request` from `concurrency` loops for `duration`; returns requests per second.
async fn throughput<F, Fut>(concurrency: u64, duration: Duration, request: F) -> f64
where
    F: Fn(u64) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let started = Instant::now();
    let loops: Vec<_> = (0..concurrency)
        .map(|l| {
            let request = request.clone();
            tokio::spawn(async move {
                let mut done = 0u64;
                while started.elapsed() < duration {
                    request(l * 1_000_000_000 + done).await;
                    done += 1;
                }
                done
            })
        })
        .collect();
    let mut total = 0;
    for l in loops {
        total += l.await.unwrap();
    }
    total as f64 / started.elapsed().as_secs_f64()
}

/// Runs `request` from `concurrency` loops for `duration`, timing each call; returns (median,
/// p99) over all of them.
async fn concurrent_latency<F, Fut>(
    concurrency: u64,
    duration: Duration,
    request: F,
) -> (Duration, Duration)
where
    F: Fn(u64) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let started = Instant::now();
    let loops: Vec<_> = (0..concurrency)
        .map(|l| {
            let request = request.clone();
            tokio::spawn(async move {
                let mut samples = Vec::new();
                while started.elapsed() < duration {
                    let call = Instant::now();
                    request(l * 1_000_000_000 + samples.len() as u64).await;
                    samples.push(call.elapsed());
                }
                samples
            })
        })
        .collect();
    let mut samples = Vec::new();
    for l in loops {
        samples.extend(l.await.unwrap());
    }
    samples.sort();
    (
        samples[samples.len() / 2],
        samples[samples.len() * 99 / 100],
    )
}

/// Runs `request` one at a time `count` times; returns (median, p99).
async fn latency<F, Fut>(count: u64, request: F) -> (Duration, Duration)
where
    F: Fn(u64) -> Fut,
    Fut: Future<Output = ()>,
{
    let mut samples = Vec::with_capacity(count as usize);
    for i in 0..count {
        let started = Instant::now();
        request(i).await;
        samples.push(started.elapsed());
    }
    samples.sort();
    (
        samples[samples.len() / 2],
        samples[samples.len() * 99 / 100],
    )
}

async fn compare<S>(name: &str, storage: S, jobs: Jobs<WriteNotification>)
where
    S: TaskSink<WriteNotification, apalis_core::backend::finalize::Durable>
        + apalis_core::backend::WireFormatBackend<Codec = apalis_sqlite::JsonCodec>
        + Clone
        + Send
        + Sync
        + 'static,
    S::Error: std::error::Error + Send + Sync + 'static,
{
    let seconds = env("PUSH_BENCH_SECONDS", 3);
    let concurrency = env("PUSH_BENCH_CONCURRENCY", 64);
    let duration = Duration::from_secs(seconds);
    let runner = Runner::new(TokioExecutor::new());

    // Both paths: one queue per request, its one task pushing the job.
    let raw = {
        let (runner, storage) = (runner.clone(), storage.clone());
        move |i: u64| {
            let (runner, mut storage) = (runner.clone(), storage.clone());
            async move {
                let tasks = BackgroundTasks::new();
                tasks.add_async_task(async move { storage.push(job(i)).await });
                assert!(runner.run(tasks).await.is_success());
            }
        }
    };
    let ours = {
        let (runner, jobs) = (runner.clone(), jobs.clone());
        move |i: u64| {
            let (runner, jobs) = (runner.clone(), jobs.clone());
            async move {
                let tasks = BackgroundTasks::new();
                tasks.add_job(&jobs, job(i));
                assert!(runner.run(tasks).await.is_success());
            }
        }
    };

    // Warm both paths (connections, statements), then measure each.
    throughput(concurrency, Duration::from_millis(500), raw.clone()).await;
    throughput(concurrency, Duration::from_millis(500), ours.clone()).await;
    let raw_rate = throughput(concurrency, duration, raw.clone()).await;
    let before = jobs.stats();
    let ours_rate = throughput(concurrency, duration, ours.clone()).await;
    let after = jobs.stats();
    let per_commit =
        (after.pushed - before.pushed) as f64 / (after.batches - before.batches).max(1) as f64;
    let (raw_median, raw_p99) = latency(500, raw).await;
    let (ours_median, ours_p99) = latency(500, ours).await;
    // What each way of handing a job over adds to a response: what the handler awaits.
    let mut queued = Vec::new();
    for i in 0..1000 {
        let tasks = BackgroundTasks::new();
        let started = Instant::now();
        tasks.add_job(&jobs, job(i));
        queued.push(started.elapsed());
        // After the response: not the handler's time.
        assert!(runner.run(tasks).await.is_success());
    }
    queued.sort();
    let confirmed = {
        let jobs = jobs.clone();
        move |i: u64| {
            let jobs = jobs.clone();
            async move { drop(jobs.push(job(i)).await.unwrap()) }
        }
    };
    let apalis = {
        let storage = storage.clone();
        move |i: u64| {
            let mut storage = storage.clone();
            async move { storage.push(job(i)).await.unwrap() }
        }
    };
    let (apalis_lone, apalis_lone_p99) = latency(500, apalis.clone()).await;
    let (confirmed_lone, confirmed_lone_p99) = latency(500, confirmed.clone()).await;
    let (apalis_busy, apalis_busy_p99) =
        concurrent_latency(concurrency, duration, apalis.clone()).await;
    let (confirmed_busy, confirmed_busy_p99) =
        concurrent_latency(concurrency, duration, confirmed.clone()).await;
    let ratio = |ours: Duration, theirs: Duration| ours.as_secs_f64() / theirs.as_secs_f64();
    println!(
        "{name:8} added to a response: add_job median {:.2?} p99 {:.2?} (the push follows the \
         response); confirmed push alone median {confirmed_lone:.2?} p99 \
         {confirmed_lone_p99:.2?} vs apalis push {apalis_lone:.2?} / {apalis_lone_p99:.2?}: \
         {:.2}x / {:.2}x",
        queued[queued.len() / 2],
        queued[queued.len() * 99 / 100],
        ratio(confirmed_lone, apalis_lone),
        ratio(confirmed_lone_p99, apalis_lone_p99),
    );
    println!(
        "{name:8} added to a response, {concurrency} concurrent: confirmed push median \
         {confirmed_busy:.2?} p99 {confirmed_busy_p99:.2?} vs apalis push {apalis_busy:.2?} / \
         {apalis_busy_p99:.2?}: {:.2}x / {:.2}x",
        ratio(confirmed_busy, apalis_busy),
        ratio(confirmed_busy_p99, apalis_busy_p99),
    );
    // Where a commit's time goes: apalis's push_bulk of n jobs, alone.
    let mut costs = Vec::new();
    for (n, reps) in [(1u64, 200), (32, 50), (256, 10)] {
        let mut samples = Vec::new();
        for rep in 0..reps {
            let mut storage = storage.clone();
            let batch = (0..n).map(|i| job(rep * 1000 + i)).collect();
            let started = Instant::now();
            storage.push_bulk(batch).await.unwrap();
            samples.push(started.elapsed());
        }
        samples.sort();
        costs.push(format!("{n} jobs {:.2?}", samples[samples.len() / 2]));
    }
    println!("{name:8} push_bulk median: {}", costs.join(", "));
    println!(
        "{name:8} {concurrency} concurrent: raw push {raw_rate:>8.0} jobs/s, group commit \
         {ours_rate:>8.0} jobs/s ({per_commit:.1} jobs/commit): {:.1}x",
        ours_rate / raw_rate
    );
    println!(
        "{name:8} lone request: raw push median {raw_median:>9.2?} p99 {raw_p99:>9.2?}; group \
         commit median {ours_median:>9.2?} p99 {ours_p99:>9.2?}; added median {:>+8.3} ms",
        (ours_median.as_secs_f64() - raw_median.as_secs_f64()) * 1e3
    );
}

/// What it would take on SQLite: apalis-sqlite inserts a batch one statement per job. The same
/// rows as one multi-row INSERT, in one transaction (apalis's table, a scratch queue), for
/// comparison with `push_bulk` of the same size.
async fn multi_row_insert(pool: &sqlx::SqlitePool) {
    for n in [1usize, 32, 256] {
        let mut samples = Vec::new();
        for rep in 0..20 {
            let values = vec![
                "(?, ?, 'scratch', 'Pending', 0, 25, 0, NULL, NULL, NULL, NULL, 0, '{}', NULL)";
                n
            ];
            let sql = format!("INSERT INTO Jobs VALUES {}", values.join(", "));
            // Only placeholders are repeated: the values are bound.
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for i in 0..n {
                query = query
                    .bind(serde_json::to_vec(&job(i as u64)).unwrap())
                    .bind(format!("scratch-{n}-{rep}-{i}"));
            }
            let started = Instant::now();
            let mut transaction = pool.begin().await.unwrap();
            query.execute(&mut *transaction).await.unwrap();
            transaction.commit().await.unwrap();
            samples.push(started.elapsed());
        }
        samples.sort();
        println!(
            "sqlite   one multi-row INSERT of {n} jobs, median {:.2?}",
            samples[samples.len() / 2]
        );
    }
    sqlx::query("DELETE FROM Jobs WHERE job_type = 'scratch'")
        .execute(pool)
        .await
        .unwrap();
}

fn main() {
    // `cargo bench` passes --bench; a test run (`cargo test --benches`) passes nothing to do.
    if !std::env::args().any(|arg| arg == "--bench") {
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        {
            let dir = TempDir::new("background-tasks-push-bench");
            let url = format!("sqlite://{}?mode=rwc", dir.path().join("jobs.db").display());
            // apalis's setup sets `synchronous = OFF` on the one connection it runs on; the others
            // keep SQLite's default. Migrate on a pool of its own, then give every connection
            // of the measured pool the same mode: NORMAL, what examples/durable uses.
            let options = sqlx::sqlite::SqliteConnectOptions::from_str(&url)
                .unwrap()
                .synchronous(sqlx::sqlite::SqliteSynchronous::Normal);
            let setup = sqlx::SqlitePool::connect_with(options.clone())
                .await
                .unwrap();
            apalis_sqlite::SqliteStorage::setup(&setup).await.unwrap();
            setup.close().await;
            let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
            println!("sqlite   WAL, synchronous = NORMAL on every connection");
            multi_row_insert(&pool).await;
            let storage = apalis_sqlite::SqliteStorage::new(&pool);
            let jobs = Jobs::new(storage.clone(), &TokioExecutor::new());
            compare("sqlite", storage, jobs).await;
            // The same, each batch one multi-row INSERT (feature `sqlite`; --all-features).
            #[cfg(feature = "sqlite")]
            {
                let storage = apalis_sqlite::SqliteStorage::new(&pool);
                let jobs = Jobs::sqlite(storage.clone(), &TokioExecutor::new());
                compare("sqlite-rows", storage, jobs).await;
            }
        }
        if let Some(server) = Postgres::start(&[]) {
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(64)
                .connect(&server.url())
                .await
                .unwrap();
            apalis_postgres::PostgresStorage::setup(&pool)
                .await
                .unwrap();
            let storage = apalis_postgres::PostgresStorage::new(&pool);
            let jobs = Jobs::new(storage.clone(), &TokioExecutor::new());
            compare("postgres", storage, jobs).await;
        }
        if let Some(server) = Redis::start() {
            let conn = apalis_redis::connect(server.url()).await.unwrap();
            let storage = apalis_redis::RedisStorage::new(conn);
            let jobs = Jobs::new(storage.clone(), &TokioExecutor::new());
            compare("redis", storage, jobs).await;
        }
    });
}
