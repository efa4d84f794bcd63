//! Run with: cargo bench -p background-tasks-benches --bench lane
//!
//! How long a queue that starts with sync work waits for a blocking-pool thread when other
//! queues' sync tasks block (the bound the docs state, contract C27), on a tokio runtime with 2
//! workers: ours (`Runner::spawn` of a one-task queue on `TokioExecutor`) beside the raw call
//! (`tokio::task::spawn_blocking`), in the same run. A task's *start delay* is the time from its
//! hand-off (the `spawn` call) to the first line of its work.
//!
//! | workload | what is handed off |
//! |---|---|
//! | `blocked` | 40 tasks that block 200 ms, then 2,000 tiny tasks paced over 100 ms: the tiny tasks' start delay while the pool threads are held |
//! | `burst/cold`, `burst/warm` | 400 tasks that block 20 ms, all at once, on a fresh runtime and then again on the same one: start delay and makespan (first hand-off to last end) |
//!
//! Each row prints p50, p99 and max start delay; `burst` also the makespan. Repeat with
//! `LANE_ROUNDS` (default 3); each round builds fresh runtimes.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use background_tasks::Runner;
use background_tasks_tokio::TokioExecutor;

/// How a workload hands a sync task off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Way {
    /// A one-task queue spawned by a `Runner` (the lane).
    Ours,
    /// `tokio::task::spawn_blocking`.
    Raw,
}

impl Way {
    fn name(self) -> &'static str {
        match self {
            Self::Ours => "ours",
            Self::Raw => "spawn_blocking",
        }
    }
}

/// The start delays and ends a workload records.
#[derive(Default)]
struct Record {
    delays: Mutex<Vec<Duration>>,
    last_end: Mutex<Option<Instant>>,
}

impl Record {
    fn started(&self, handed_off: Instant) {
        self.delays.lock().unwrap().push(handed_off.elapsed());
    }

    fn ended(&self) {
        let now = Instant::now();
        let mut last = self.last_end.lock().unwrap();
        if last.is_none_or(|last| last < now) {
            *last = Some(now);
        }
    }

    fn percentiles(&self) -> (Duration, Duration, Duration) {
        let mut delays = self.delays.lock().unwrap().clone();
        delays.sort();
        let at = |q: f64| delays[((delays.len() - 1) as f64 * q).round() as usize];
        (at(0.5), at(0.99), *delays.last().unwrap())
    }
}

/// A 2-worker tokio runtime, the pool at tokio's default size.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap()
}

/// Hands `work` off `way`, recording its start delay; resolves nothing (tasks are awaited by
/// [`drain`]).
fn hand_off(
    way: Way,
    runner: &Runner<TokioExecutor>,
    handles: &mut Vec<tokio::task::JoinHandle<()>>,
    record: &Arc<Record>,
    work: Duration,
    rt: &tokio::runtime::Runtime,
) {
    let record = Arc::clone(record);
    let handed_off = Instant::now();
    let job = move || {
        record.started(handed_off);
        if !work.is_zero() {
            std::thread::sleep(work);
        }
        record.ended();
    };
    match way {
        Way::Ours => {
            let tasks = runner.queue();
            tasks.add_task(job);
            runner.spawn(tasks, |_| {});
        }
        Way::Raw => handles.push(rt.spawn_blocking(job)),
    }
}

fn drain(
    way: Way,
    runner: &Runner<TokioExecutor>,
    handles: Vec<tokio::task::JoinHandle<()>>,
    rt: &tokio::runtime::Runtime,
) {
    rt.block_on(async {
        match way {
            Way::Ours => runner.idle().await,
            Way::Raw => {
                for handle in handles {
                    handle.await.unwrap();
                }
            }
        }
    });
}

/// 40 tasks blocking 200 ms, then 2,000 tiny ones paced over 100 ms.
fn blocked(way: Way) -> Arc<Record> {
    let rt = runtime();
    let runner = Runner::new(TokioExecutor::from_handle(rt.handle().clone()));
    let blockers = Arc::new(Record::default());
    let tiny = Arc::new(Record::default());
    let mut handles = Vec::new();
    for _ in 0..40 {
        hand_off(
            way,
            &runner,
            &mut handles,
            &blockers,
            Duration::from_millis(200),
            &rt,
        );
    }
    let start = Instant::now();
    for i in 0..2_000u32 {
        let due = start + Duration::from_micros(50) * i;
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        hand_off(way, &runner, &mut handles, &tiny, Duration::ZERO, &rt);
    }
    drain(way, &runner, handles, &rt);
    tiny
}

/// 400 tasks blocking 20 ms, handed off at once, on `rt`: the record and the makespan.
fn burst(
    way: Way,
    rt: &tokio::runtime::Runtime,
    runner: &Runner<TokioExecutor>,
) -> (Arc<Record>, Duration) {
    let record = Arc::new(Record::default());
    let mut handles = Vec::new();
    let start = Instant::now();
    for _ in 0..400 {
        hand_off(
            way,
            runner,
            &mut handles,
            &record,
            Duration::from_millis(20),
            rt,
        );
    }
    drain(way, runner, handles, rt);
    let makespan = record.last_end.lock().unwrap().unwrap() - start;
    (record, makespan)
}

fn row(workload: &str, way: Way, record: &Record, makespan: Option<Duration>) {
    let (p50, p99, max) = record.percentiles();
    let makespan = makespan.map_or(String::new(), |m| format!(" makespan {m:>9.2?}"));
    println!(
        "{workload:<12} {:<15} start p50 {p50:>9.2?} p99 {p99:>9.2?} max {max:>9.2?}{makespan}",
        way.name()
    );
}

fn main() {
    // `cargo bench` passes `--bench`; this harness takes no other arguments.
    let rounds: usize = std::env::var("LANE_ROUNDS")
        .ok()
        .and_then(|rounds| rounds.parse().ok())
        .unwrap_or(3);
    for round in 1..=rounds {
        println!("round {round}");
        for way in [Way::Ours, Way::Raw] {
            row("blocked", way, &blocked(way), None);
        }
        for way in [Way::Ours, Way::Raw] {
            let rt = runtime();
            let runner = Runner::new(TokioExecutor::from_handle(rt.handle().clone()));
            let (cold, cold_makespan) = burst(way, &rt, &runner);
            row("burst/cold", way, &cold, Some(cold_makespan));
            let (warm, warm_makespan) = burst(way, &rt, &runner);
            row("burst/warm", way, &warm, Some(warm_makespan));
        }
    }
}
