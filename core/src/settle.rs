//! Where a task's outcome is decided: [`settle`] turns how a task ended (or why it never ran)
//! into its [`Outcome`], telling the error hook of every failure and abandonment. The queue then
//! books the entry with `State::record`, which counts it.

use std::borrow::Cow;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Duration;

use crate::panic::panic_message;
use crate::report::{AbandonReason, Outcome, TaskError, TaskReport, Timeout};
use crate::task::{BoxError, Task, TaskKind};

/// The request a queue belongs to, as the default hook's stderr line names it
/// (`integration::name_request`): written out only when a line is, so a request pays no
/// formatting for a name that no failure prints.
pub(crate) type RequestName = dyn fmt::Display + Send + Sync;

/// Called with a task's label and its error whenever a task fails, panics, times out or is
/// abandoned (`Runner::on_error`).
pub(crate) type ErrorHook = Arc<dyn Fn(&str, &TaskError) + Send + Sync + 'static>;

/// How a task ended, or why it never ran.
#[derive(Debug)]
pub(crate) enum Cause {
    /// Its work returned.
    Returned(Result<(), BoxError>),
    /// Its work panicked with this message.
    Panicked(String),
    /// It overran its timeout and was cancelled (an async task).
    TimedOut(Timeout),
    /// An earlier task failed under `StopOnError`.
    Skipped,
    /// Its queue was discarded.
    Discarded,
    /// It never ran, or was cut off while it ran, for this reason.
    Abandoned(AbandonReason),
}

/// Decides the outcome of a task that ran for `duration` under the runner's task `timeout`.
/// Failures and abandonments go to `hook` (a `tracing` error event without one) first, with the
/// original error; skipped and discarded tasks are not errors of their own. Runs outside the
/// queue's lock: the hook is the user's code.
///
/// A sync task cannot be cancelled: one that returned `Ok` after its timeout counts as timed out
/// here ([`Timeout::RanOver`]); an async one was cancelled at its timeout ([`Cause::TimedOut`]).
pub(crate) fn settle(
    hook: Option<&ErrorHook>,
    request: Option<&RequestName>,
    label: Cow<'static, str>,
    kind: TaskKind,
    cause: Cause,
    duration: Duration,
    timeout: Option<Duration>,
) -> TaskReport {
    let cause = match (kind, cause, timeout) {
        (TaskKind::Sync, Cause::Returned(Ok(())), Some(timeout)) if duration > timeout => {
            Cause::TimedOut(Timeout::RanOver {
                took: duration,
                timeout,
            })
        }
        (_, cause, _) => cause,
    };
    let (outcome, error) = match cause {
        Cause::Returned(Ok(())) => (Outcome::Succeeded, None),
        Cause::Returned(Err(error)) => (
            Outcome::Failed(with_causes(error.as_ref())),
            Some(TaskError::Failed(error)),
        ),
        Cause::Panicked(message) => (
            Outcome::Panicked(message.clone()),
            Some(TaskError::Panicked(message)),
        ),
        Cause::TimedOut(timeout) => (
            Outcome::TimedOut(timeout),
            Some(TaskError::TimedOut(timeout)),
        ),
        Cause::Skipped => (Outcome::Skipped, None),
        Cause::Discarded => (Outcome::Discarded, None),
        Cause::Abandoned(reason) => (
            Outcome::Abandoned(reason.clone()),
            Some(TaskError::Abandoned(reason)),
        ),
    };
    if let Some(error) = error {
        report_error(hook, request, &label, &error);
    }
    TaskReport {
        label,
        kind,
        outcome,
        duration,
    }
}

/// [`settle`] for a task that never ran (skipped, discarded, abandoned), dropping it.
pub(crate) fn settle_unrun(
    hook: Option<&ErrorHook>,
    request: Option<&RequestName>,
    task: Task,
    cause: Cause,
) -> TaskReport {
    let kind = task.kind();
    settle(hook, request, task.label, kind, cause, Duration::ZERO, None)
}

/// `request` names the request that queued the task, when it was named for the stderr line
/// (`integration::name_request`).
fn report_error(
    hook: Option<&ErrorHook>,
    request: Option<&RequestName>,
    label: &str,
    error: &TaskError,
) {
    let Some(hook) = hook else {
        if no_subscriber() {
            // With no subscriber a `tracing` event goes nowhere, and a failure must not vanish.
            eprintln!("{}", stderr_line(label, request, error));
        } else {
            tracing::error!(task = label, %error, "background task did not succeed");
        }
        return;
    };
    // A broken hook must not take the queue (or the blocking thread) down with it.
    if let Err(payload) = catch_unwind(AssertUnwindSafe(|| hook(label, error))) {
        tracing::error!(
            task = label,
            %error,
            hook_panic = %panic_message(payload.as_ref()),
            "background task error hook panicked"
        );
    }
}

/// Whether no `tracing` subscriber is installed, globally or for this thread.
pub(crate) fn no_subscriber() -> bool {
    tracing::dispatcher::get_default(|dispatch| dispatch.is::<tracing::subscriber::NoSubscriber>())
}

/// The default hook's line when nothing else would show the failure: the error and its causes.
fn stderr_line(label: &str, request: Option<&RequestName>, error: &TaskError) -> String {
    let mut line = match request {
        Some(request) => format!("background task {label} ({request}): {error}"),
        None => format!("background task {label}: {error}"),
    };
    // `TaskError`'s own Display shows the task's error (its `source()`); what caused that follows.
    let task_error = std::error::Error::source(error);
    append_causes(&mut line, task_error.and_then(std::error::Error::source));
    line
}

/// `error`'s `Display`, then each of its causes' (`source()`), joined by `": "`: what a reader
/// needs of a failure, where `to_string()` alone often says only "request failed".
fn with_causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    append_causes(&mut text, error.source());
    text
}

/// Appends `": {cause}"` for `cause` and each of its own causes.
fn append_causes(text: &mut String, mut cause: Option<&(dyn std::error::Error + 'static)>) {
    use std::fmt::Write;

    while let Some(error) = cause {
        let _ = write!(text, ": {error}");
        cause = error.source();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    fn recording() -> (ErrorHook, Arc<Mutex<Vec<String>>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = Arc::clone(&seen);
        let hook: ErrorHook = Arc::new(move |label: &str, error: &TaskError| {
            s.lock().unwrap().push(format!("{label}: {error}"));
        });
        (hook, seen)
    }

    const LATE: Timeout = Timeout::Cancelled {
        timeout: Duration::from_secs(1),
    };

    #[test]
    fn failures_and_abandonments_reach_the_hook_and_the_rest_do_not() {
        let (hook, seen) = recording();
        let outcomes: Vec<Outcome> = [
            Cause::Returned(Ok(())),
            Cause::Returned(Err("disk full".into())),
            Cause::Panicked("boom".into()),
            Cause::TimedOut(LATE),
            Cause::Skipped,
            Cause::Discarded,
            Cause::Abandoned(AbandonReason::Deadline),
        ]
        .into_iter()
        .map(|cause| {
            settle(
                Some(&hook),
                None,
                "t".into(),
                TaskKind::Sync,
                cause,
                Duration::ZERO,
                None,
            )
            .outcome
        })
        .collect();
        assert_eq!(
            outcomes,
            [
                Outcome::Succeeded,
                Outcome::Failed("disk full".into()),
                Outcome::Panicked("boom".into()),
                Outcome::TimedOut(LATE),
                Outcome::Skipped,
                Outcome::Discarded,
                Outcome::Abandoned(AbandonReason::Deadline),
            ]
        );
        assert_eq!(
            *seen.lock().unwrap(),
            [
                "t: task failed: disk full",
                "t: task panicked: boom",
                "t: task timed out: cancelled after 1s, its timeout",
                "t: task abandoned: the shutdown deadline passed before it started",
            ]
        );
    }

    /// An error that says only what failed, with what caused it as its source.
    #[derive(Debug)]
    struct Sending(std::io::Error);

    impl std::fmt::Display for Sending {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("sending the welcome mail")
        }
    }

    impl std::error::Error for Sending {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn a_failure_keeps_its_causes_in_the_outcome_and_the_stderr_line() {
        let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "smtp refused");
        let cause = Cause::Returned(Err(Box::new(Sending(refused))));
        let (hook, seen) = recording();
        let report = settle(
            Some(&hook),
            None,
            "mail".into(),
            TaskKind::Async,
            cause,
            Duration::ZERO,
            None,
        );
        let chain = "sending the welcome mail: smtp refused";
        assert_eq!(report.outcome, Outcome::Failed(chain.into()));
        // The hook gets the error itself, its causes reachable through `source()`.
        assert_eq!(
            *seen.lock().unwrap(),
            ["mail: task failed: sending the welcome mail"]
        );
        let error = TaskError::Failed(Box::new(Sending(std::io::Error::other("smtp refused"))));
        assert_eq!(
            stderr_line("mail", Some(&"POST /signup"), &error),
            format!("background task mail (POST /signup): task failed: {chain}")
        );
    }

    #[test]
    fn a_sync_task_that_returned_after_its_timeout_timed_out_and_an_async_one_did_not() {
        let settled = |kind, cause, took: u64| {
            let took = Duration::from_millis(took);
            let timeout = Some(Duration::from_millis(10));
            settle(None, None, "t".into(), kind, cause, took, timeout).outcome
        };
        let ran_over = Timeout::RanOver {
            took: Duration::from_millis(11),
            timeout: Duration::from_millis(10),
        };
        assert_eq!(
            settled(TaskKind::Sync, Cause::Returned(Ok(())), 11),
            Outcome::TimedOut(ran_over)
        );
        assert_eq!(
            settled(TaskKind::Sync, Cause::Returned(Ok(())), 10),
            Outcome::Succeeded
        );
        // An error says more than the overrun: it is kept.
        assert_eq!(
            settled(
                TaskKind::Sync,
                Cause::Returned(Err("late and wrong".into())),
                11
            ),
            Outcome::Failed("late and wrong".into())
        );
        // An async task is cancelled at its timeout; one that returned was in time.
        assert_eq!(
            settled(TaskKind::Async, Cause::Returned(Ok(())), 11),
            Outcome::Succeeded
        );
        assert!(
            ran_over.to_string().contains("cannot be cancelled"),
            "{ran_over}"
        );
    }

    #[test]
    fn a_panicking_hook_is_contained() {
        let hook: ErrorHook = Arc::new(|_: &str, _: &TaskError| panic!("broken hook"));
        let cause = Cause::Panicked("boom".into());
        let report = settle(
            Some(&hook),
            None,
            "t".into(),
            TaskKind::Async,
            cause,
            Duration::ZERO,
            None,
        );
        assert_eq!(report.outcome, Outcome::Panicked("boom".into()));
    }
}
