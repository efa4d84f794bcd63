//! C14 and C15: failures and panics reach the error hook with their label and original error,
//! and the failure policy decides whether the rest of the queue runs.

use background_tasks::{BackgroundTasks, FailurePolicy, Outcome, Runner, Task, TaskError};

use crate::harness::{DELIBERATE, Harness, quiet_deliberate_panics};

use super::{Log, entries, outcomes, push, recording_hook, run_spawned};

#[derive(Debug)]
struct QuotaExceeded {
    user: &'static str,
}

impl std::fmt::Display for QuotaExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "quota exceeded for {}", self.user)
    }
}

impl std::error::Error for QuotaExceeded {}

/// C14: a failing task's original error reaches the hook with the task's label, from sync and
/// async tasks alike.
pub fn c14_errors_reach_the_hook_with_label_and_original_error<H: Harness>() {
    let harness = H::new();
    let users: Log = Log::default();
    let u = users.clone();
    let runner = Runner::new(harness.executor())
        .failure_policy(FailurePolicy::ContinueOnError)
        .on_error(move |label, error| {
            let TaskError::Failed(original) = error else {
                panic!("expected a failure, got {error}");
            };
            let quota = original
                .downcast_ref::<QuotaExceeded>()
                .expect("the original error type, not a summary");
            push(&u, format!("{label} {}", quota.user));
        });
    let tasks = BackgroundTasks::new();
    tasks.add(Task::sync(|| Err::<(), _>(QuotaExceeded { user: "ada" })).with_label("charge"));
    tasks.add(
        Task::future(async { Err::<(), _>(QuotaExceeded { user: "bob" }) }).with_label("refund"),
    );
    let report = run_spawned(&harness, runner, tasks);
    assert_eq!(
        outcomes(&report),
        [
            (
                "charge".into(),
                Outcome::Failed("quota exceeded for ada".into())
            ),
            (
                "refund".into(),
                Outcome::Failed("quota exceeded for bob".into())
            ),
        ]
    );
    assert_eq!(entries(&users), ["charge ada", "refund bob"]);
}

fn deliberate_panic(what: &str) -> Result<(), String> {
    panic!("{DELIBERATE}: {what}")
}

/// C14: panics in sync and async tasks are contained and reported with the label and message; the
/// executor and its threads keep working afterwards.
pub fn c14_panics_are_contained_and_reported<H: Harness>() {
    quiet_deliberate_panics();
    let harness = H::new();
    let hooked = Log::default();
    let tasks = BackgroundTasks::new();
    tasks.add(Task::sync(|| deliberate_panic("sync")).with_label("sync"));
    tasks.add(Task::future(async { deliberate_panic("async") }).with_label("async"));
    let runner = Runner::new(harness.executor())
        .failure_policy(FailurePolicy::ContinueOnError)
        .on_error(recording_hook(&hooked));
    let report = run_spawned(&harness, runner, tasks);
    assert_eq!(
        outcomes(&report),
        [
            (
                "sync".into(),
                Outcome::Panicked(format!("{DELIBERATE}: sync"))
            ),
            (
                "async".into(),
                Outcome::Panicked(format!("{DELIBERATE}: async"))
            ),
        ]
    );
    assert_eq!(
        entries(&hooked),
        [
            format!("sync: task panicked: {DELIBERATE}: sync"),
            format!("async: task panicked: {DELIBERATE}: async"),
        ]
    );
    // The same runtime still runs both kinds of work.
    let log = Log::default();
    let again = BackgroundTasks::new();
    let l = log.clone();
    again.add_task(move || push(&l, "sync after"));
    let l = log.clone();
    again.add_async_task(async move { push(&l, "async after") });
    assert!(run_spawned(&harness, Runner::new(harness.executor()), again).is_success());
    assert_eq!(entries(&log), ["sync after", "async after"]);
}

fn policy_queue(log: &Log) -> BackgroundTasks {
    let tasks = BackgroundTasks::new();
    let l = log.clone();
    tasks.add(Task::sync(move || push(&l, "a")).with_label("a"));
    tasks.add(Task::future(async { Err::<(), _>("smtp down") }).with_label("b"));
    let l = log.clone();
    tasks.add(Task::sync(move || push(&l, "c")).with_label("c"));
    let l = log.clone();
    tasks.add(Task::future(async move { push(&l, "d") }).with_label("d"));
    tasks
}

/// C15: by default a failure ends the queue; the rest are reported as skipped and never run.
pub fn c15_stop_on_error_skips_the_rest<H: Harness>() {
    let harness = H::new();
    let log = Log::default();
    // No policy set: the default is what stops the run.
    let runner = Runner::new(harness.executor());
    let report = run_spawned(&harness, runner, policy_queue(&log));
    assert_eq!(
        outcomes(&report),
        [
            ("a".into(), Outcome::Succeeded),
            ("b".into(), Outcome::Failed("smtp down".into())),
            ("c".into(), Outcome::Skipped),
            ("d".into(), Outcome::Skipped),
        ]
    );
    assert_eq!(entries(&log), ["a"]);
}

/// C15: `ContinueOnError` runs the rest after a failure.
pub fn c15_continue_on_error_runs_the_rest<H: Harness>() {
    let harness = H::new();
    let log = Log::default();
    let runner = Runner::new(harness.executor()).failure_policy(FailurePolicy::ContinueOnError);
    let report = run_spawned(&harness, runner, policy_queue(&log));
    assert_eq!(
        outcomes(&report),
        [
            ("a".into(), Outcome::Succeeded),
            ("b".into(), Outcome::Failed("smtp down".into())),
            ("c".into(), Outcome::Succeeded),
            ("d".into(), Outcome::Succeeded),
        ]
    );
    assert_eq!(entries(&log), ["a", "c", "d"]);
}
