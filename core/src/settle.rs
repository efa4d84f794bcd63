//! Where a task's outcome is decided: [`settle`] turns how a task ended (or why it never ran)
//! into its [`Outcome`], telling the error hook of every failure and abandonment. The queue then
//! books the entry with `State::record`, which counts it.

use std::borrow::Cow;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Duration;

use crate::panic::panic_message;
use crate::report::{Outcome, TaskError, TaskReport};
use crate::task::{BoxError, Task, TaskKind};

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
    /// It overran its timeout; the message says how.
    TimedOut(String),
    /// An earlier task failed under `StopOnError`.
    Skipped,
    /// Its queue was discarded.
    Discarded,
    /// It never ran, or was cut off while it ran, for this reason.
    Abandoned(String),
}

/// Decides the outcome of a task that ran for `duration`. Failures and abandonments go to `hook`
/// (a `tracing` error event without one) first, with the original error; skipped and discarded
/// tasks are not errors of their own. Runs outside the queue's lock: the hook is the user's code.
pub(crate) fn settle(
    hook: Option<&ErrorHook>,
    request: Option<&str>,
    label: Cow<'static, str>,
    kind: TaskKind,
    cause: Cause,
    duration: Duration,
) -> TaskReport {
    let (outcome, error) = match cause {
        Cause::Returned(Ok(())) => (Outcome::Succeeded, None),
        Cause::Returned(Err(error)) => (
            Outcome::Failed(error.to_string()),
            Some(TaskError::Failed(error)),
        ),
        Cause::Panicked(message) => (
            Outcome::Panicked(message.clone()),
            Some(TaskError::Panicked(message)),
        ),
        Cause::TimedOut(message) => (
            Outcome::TimedOut(message.clone()),
            Some(TaskError::TimedOut(message)),
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
    request: Option<&str>,
    task: Task,
    cause: Cause,
) -> TaskReport {
    let kind = task.kind();
    settle(hook, request, task.label, kind, cause, Duration::ZERO)
}

/// `request` names the request that queued the task, when it was named for the stderr line
/// (`integration::name_request`).
fn report_error(hook: Option<&ErrorHook>, request: Option<&str>, label: &str, error: &TaskError) {
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
fn stderr_line(label: &str, request: Option<&str>, error: &TaskError) -> String {
    use std::error::Error;
    use std::fmt::Write;

    let mut line = match request {
        Some(request) => format!("background task {label} ({request}): {error}"),
        None => format!("background task {label}: {error}"),
    };
    // `TaskError`'s own Display shows the task's error; what caused that follows.
    let mut cause = error.source().and_then(Error::source);
    while let Some(error) = cause {
        let _ = write!(line, ": {error}");
        cause = error.source();
    }
    line
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

    #[test]
    fn failures_and_abandonments_reach_the_hook_and_the_rest_do_not() {
        let (hook, seen) = recording();
        let outcomes: Vec<Outcome> = [
            Cause::Returned(Ok(())),
            Cause::Returned(Err("disk full".into())),
            Cause::Panicked("boom".into()),
            Cause::TimedOut("late".into()),
            Cause::Skipped,
            Cause::Discarded,
            Cause::Abandoned("shutdown".into()),
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
                Outcome::TimedOut("late".into()),
                Outcome::Skipped,
                Outcome::Discarded,
                Outcome::Abandoned("shutdown".into()),
            ]
        );
        assert_eq!(
            *seen.lock().unwrap(),
            [
                "t: task failed: disk full",
                "t: task panicked: boom",
                "t: task timed out: late",
                "t: task abandoned: shutdown",
            ]
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
        );
        assert_eq!(report.outcome, Outcome::Panicked("boom".into()));
    }
}
