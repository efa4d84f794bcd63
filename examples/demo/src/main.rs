//! Run with: cargo run -p background-tasks-example-demo
//!
//! Runs one queue on each runtime, FastAPI style: a sync `write_notification` (blocking pool), an
//! async cleanup (the runtime's workers), a task that adds another while the queue runs, and a
//! failing task whose error is reported with its label. Prints the order and the thread of each.

use std::sync::Arc;
use std::time::Instant;

use background_tasks::{BackgroundTasks, Executor, FailurePolicy, Runner, Task};
use background_tasks_async_std::AsyncStdExecutor;
use background_tasks_smol::SmolExecutor;
use background_tasks_tokio::TokioExecutor;

fn write_notification(start: Instant, email: &str, message: &str) {
    println!(
        "  {:>7.3} ms  write_notification({email}, {message:?}) on thread {:?}",
        start.elapsed().as_secs_f64() * 1e3,
        std::thread::current().name().unwrap_or("unnamed"),
    );
}

async fn async_cleanup(start: Instant, filename: String) {
    println!(
        "  {:>7.3} ms  async_cleanup({filename}) on thread {:?}",
        start.elapsed().as_secs_f64() * 1e3,
        std::thread::current().name().unwrap_or("unnamed"),
    );
}

/// The same queue for every runtime: what a handler and its dependency would have added.
fn queue(start: Instant) -> BackgroundTasks {
    let tasks = BackgroundTasks::new();
    tasks.add_task(move || write_notification(start, "ada@example.com", "some notification"));
    tasks.add_async_task(async_cleanup(start, "upload.tmp".into()));
    let same_queue = tasks.clone();
    tasks.add_task(move || {
        write_notification(start, "bob@example.com", "queued first");
        // Added while the queue runs: it runs after everything already queued.
        same_queue.add_task(move || write_notification(start, "bob@example.com", "added late"));
    });
    tasks.add(
        Task::sync(|| Err::<(), _>("smtp server refused the message")).with_label("send_receipt"),
    );
    tasks.add_async_task(async_cleanup(start, "thumbnail.tmp".into()));
    tasks
}

async fn demo<E: Executor>(name: &str, executor: E) {
    println!("{name}:");
    let start = Instant::now();
    let runner = Runner::new(executor)
        .policy(FailurePolicy::ContinueOnError)
        .on_error(|label, error| println!("  error hook: {label}: {error}"));
    let report = runner.run(queue(start)).await;
    for task in report.tasks() {
        println!("  report: {:<16} {:?}", short(&task.label), task.outcome);
    }
    println!();
}

fn short(label: &str) -> &str {
    label
        .rsplit("::")
        .find(|part| !part.starts_with('{'))
        .unwrap_or(label)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(demo(
        "tokio",
        TokioExecutor::from_handle(runtime.handle().clone()),
    ));

    let ex = Arc::new(smol::Executor::new());
    smol::block_on(ex.run(demo("smol", SmolExecutor::from(ex.clone()))));

    async_std::task::block_on(demo(
        "async-std (discontinued by its authors; prefer smol)",
        AsyncStdExecutor::new(),
    ));
}
