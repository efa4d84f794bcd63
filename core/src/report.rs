//! What a run did: [`RunReport`], per task [`TaskReport`] and [`Outcome`], and the [`TaskError`]
//! handed to the error hook.

use std::borrow::Cow;
use std::fmt;

use crate::task::BoxError;

/// What happened to every task of one queue, in the order they were queued.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunReport {
    pub(crate) tasks: Vec<TaskReport>,
}

impl RunReport {
    /// One entry per task, in queue order.
    pub fn tasks(&self) -> &[TaskReport] {
        &self.tasks
    }

    /// Whether every task succeeded (an empty queue counts as success).
    pub fn is_success(&self) -> bool {
        self.tasks.iter().all(|t| t.outcome == Outcome::Succeeded)
    }

    /// How many tasks ended with `predicate` true of their outcome.
    pub fn count(&self, predicate: impl Fn(&Outcome) -> bool) -> usize {
        self.tasks.iter().filter(|t| predicate(&t.outcome)).count()
    }
}

/// What happened to one task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskReport {
    /// The task's label.
    pub label: Cow<'static, str>,
    /// How it ended.
    pub outcome: Outcome,
}

/// How one task ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It ran and returned `()` or `Ok(())`.
    Succeeded,
    /// It ran and returned this error (its `Display`).
    Failed(String),
    /// It panicked with this message.
    Panicked(String),
    /// It overran the runner's task timeout: an async task was cancelled, a sync one (which cannot
    /// be) ran to its end late. The message says which.
    TimedOut(String),
    /// It did not run because an earlier task of its queue failed under
    /// [`FailurePolicy::StopOnError`](crate::FailurePolicy::StopOnError).
    Skipped,
    /// It did not run because its queue was discarded (the request failed before it had a response).
    Discarded,
    /// It did not run because the executor could not run it (its blocking pool shut down) or the
    /// run was cancelled before reaching it; the reason is kept.
    Abandoned(String),
}

impl Outcome {
    /// Whether the task ran and failed, panicked or overran its timeout: what stops a queue under
    /// [`FailurePolicy::StopOnError`](crate::FailurePolicy::StopOnError).
    pub fn is_failure(&self) -> bool {
        matches!(
            self,
            Self::Failed(_) | Self::Panicked(_) | Self::TimedOut(_)
        )
    }
}

/// A task's failure, as the error hook receives it: the original error, not a summary of it.
#[derive(Debug)]
#[non_exhaustive]
pub enum TaskError {
    /// The task returned this error.
    Failed(BoxError),
    /// The task panicked with this message.
    Panicked(String),
    /// The task overran its timeout; the message says by how much and whether it was cancelled.
    TimedOut(String),
    /// The task never ran: the executor could not run it, or the run was cancelled first.
    Abandoned(String),
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Failed(error) => write!(f, "task failed: {error}"),
            Self::Panicked(message) => write!(f, "task panicked: {message}"),
            Self::TimedOut(message) => write!(f, "task timed out: {message}"),
            Self::Abandoned(reason) => write!(f, "task abandoned: {reason}"),
        }
    }
}

impl std::error::Error for TaskError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Failed(error) => Some(error.as_ref()),
            Self::Panicked(_) | Self::TimedOut(_) | Self::Abandoned(_) => None,
        }
    }
}
