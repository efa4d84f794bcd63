//! Run with: cargo bench -p background-tasks-benches --bench observer
//!
//! What the status page's observer adds to one request's queue, without a runtime or a network
//! to blur it: 200 000 queues of one task each (async, or sync on an inline "blocking pool"),
//! described as an HTTP integration describes them, run in place; observer off and on
//! interleaved, five times each; the median nanoseconds per queue. The load bench
//! (`status_cost.py`) gives the same comparison through a real server. Then a million queues
//! through the observed runner, its resident memory read at 100 000 and at 1 000 000: the
//! window keeps it flat.

use std::future::Future;
use std::hint::black_box;
use std::time::Instant;

use background_tasks::integration;
use background_tasks::status::{Observer, QueueRequest};
use background_tasks::{BlockingError, BlockingJob, BoxFuture, Executor, Runner};

#[derive(Debug, Clone)]
struct Inline;

impl Executor for Inline {
    fn spawn(&self, _: BoxFuture<()>) {
        unreachable!("queues run in place")
    }

    fn spawn_blocking(&self, job: BlockingJob) -> BoxFuture<Result<(), BlockingError>> {
        job();
        Box::pin(async { Ok(()) })
    }
}

fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(value) = future.as_mut().poll(&mut cx) {
            return value;
        }
    }
}

const QUEUES: u32 = 200_000;

/// Nanoseconds per queue for `QUEUES` queues of one task each.
fn per_queue(runner: &Runner<Inline>, sync: bool) -> f64 {
    let started = Instant::now();
    for _ in 0..QUEUES {
        let tasks = runner.queue();
        if sync {
            tasks.add_task(|| black_box(()));
        } else {
            tasks.add_async_task(async { black_box(()) });
        }
        if runner.observer().is_some() {
            let request = QueueRequest::new("GET", "/", Some(200), "completed");
            integration::describe(&tasks, request);
        }
        black_box(block_on(runner.run(tasks)));
    }
    started.elapsed().as_nanos() as f64 / f64::from(QUEUES)
}

/// This process's resident memory, in KiB (Linux).
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let off = Runner::new(Inline);
    let on = Runner::new(Inline).observe(Observer::default());
    for (name, sync) in [("one async task", false), ("one sync task", true)] {
        let (mut offs, mut ons) = (Vec::new(), Vec::new());
        for round in 0..5 {
            // Alternate which goes first, so that drift favours neither.
            if round % 2 == 0 {
                offs.push(per_queue(&off, sync));
                ons.push(per_queue(&on, sync));
            } else {
                ons.push(per_queue(&on, sync));
                offs.push(per_queue(&off, sync));
            }
        }
        let (off_ns, on_ns) = (median(offs), median(ons));
        println!(
            "{name}: observer off {off_ns:.0} ns/queue, on {on_ns:.0} ns/queue (+{:.0} ns)",
            on_ns - off_ns
        );
    }
    let mut at = Vec::new();
    for queue in 1..=1_000_000u32 {
        let tasks = on.queue();
        tasks.add_task(|| black_box(()));
        let path = format!("/users/{queue}");
        integration::describe(
            &tasks,
            QueueRequest::new("POST", path, Some(200), "completed"),
        );
        black_box(block_on(on.run(tasks)));
        if queue == 100_000 || queue == 1_000_000 {
            at.push(rss_kib());
        }
    }
    match at[..] {
        [Some(early), Some(late)] => println!(
            "observer on, a window of {}: RSS {:.1} MiB after 100 000 queues, {:.1} MiB after \
             1 000 000",
            on.observer().unwrap().window(),
            early as f64 / 1024.0,
            late as f64 / 1024.0
        ),
        _ => println!("RSS: /proc/self/status is not readable here"),
    }
}
