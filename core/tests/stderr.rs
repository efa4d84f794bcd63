//! C14 with no setup: with no `tracing` subscriber and no error hook, a failure still shows, as
//! one line on stderr. Each case runs in a child process of this test binary, whose stderr the
//! parent reads.

use std::future::Future;
use std::pin::pin;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};

use background_tasks::{
    BackgroundTasks, BlockingError, BlockingJob, BoxFuture, Executor, FailurePolicy, Runner, Task,
};

/// Runs blocking jobs inline, on the test's thread (where a scoped subscriber is seen).
#[derive(Debug, Clone)]
struct Inline;

impl Executor for Inline {
    fn spawn(&self, _: BoxFuture<()>) {
        unreachable!("the run is polled by the test")
    }

    fn spawn_blocking(&self, job: BlockingJob) -> BoxFuture<Result<(), BlockingError>> {
        job();
        Box::pin(async { Ok(()) })
    }
}

#[derive(Debug)]
struct Outer(std::io::Error);

impl std::fmt::Display for Outer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("could not write the notification")
    }
}

impl std::error::Error for Outer {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

/// A failing task and a panicking one, run to their end with the default hook.
fn run_failures() {
    let runner = Runner::new(Inline).failure_policy(FailurePolicy::ContinueOnError);
    let tasks = BackgroundTasks::new();
    tasks.add(
        Task::sync(|| Err::<(), _>(Outer(std::io::Error::other("disk full"))))
            .with_label("write_notification"),
    );
    // The cast is TaskResult's documented fix for a block that only panics; rustc 1.85 calls it
    // unreachable.
    #[allow(unreachable_code)]
    tasks.add(Task::future(async { panic!("boom") as () }).with_label("cleanup"));
    let mut run = pin!(runner.run(tasks));
    let Poll::Ready(report) = run.as_mut().poll(&mut Context::from_waker(Waker::noop())) else {
        panic!("an inline run never waits")
    };
    assert_eq!(report.tasks().len(), 2);
}

/// Counts events; enabled for everything.
struct Counting(Arc<AtomicUsize>);

impl tracing::Subscriber for Counting {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, _: &tracing::Event<'_>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

const CHILD: &str = "BACKGROUND_TASKS_STDERR_CHILD";

/// Runs `test` of this binary in a child process and returns its stderr.
fn child_stderr(test: &str) -> String {
    let output = Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .output()
        .unwrap();
    assert!(output.status.success(), "child {test} failed: {output:?}");
    String::from_utf8(output.stderr).unwrap()
}

#[test]
fn c14_without_a_subscriber_failures_go_to_stderr() {
    if std::env::var_os(CHILD).is_some() {
        run_failures();
        return;
    }
    let stderr = child_stderr("c14_without_a_subscriber_failures_go_to_stderr");
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|line| line.starts_with("background task "))
        .collect();
    assert_eq!(
        lines,
        [
            "background task write_notification: task failed: could not write the notification: disk full",
            "background task cleanup: task panicked: boom",
        ],
        "stderr was: {stderr}"
    );
}

#[test]
fn c14_with_a_subscriber_failures_go_to_tracing_not_stderr() {
    if std::env::var_os(CHILD).is_some() {
        let events = Arc::new(AtomicUsize::new(0));
        tracing::subscriber::with_default(Counting(events.clone()), run_failures);
        assert_eq!(
            events.load(Ordering::SeqCst),
            2,
            "one error event per failure"
        );
        return;
    }
    let stderr = child_stderr("c14_with_a_subscriber_failures_go_to_tracing_not_stderr");
    assert!(!stderr.contains("background task "), "stderr was: {stderr}");
}
