//! What a run did: [`RunReport`], per task [`TaskReport`] and [`Outcome`], and the [`TaskError`]
//! handed to the error hook.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use crate::executor::BlockingError;
use crate::task::{BoxError, TaskKind};

/// What happened to every task of one queue, in the order they were queued.
#[derive(Clone, Default)]
pub struct RunReport {
    pub(crate) tasks: Reports,
}

impl RunReport {
    /// One entry per task, in queue order.
    pub fn tasks(&self) -> &[TaskReport] {
        self.tasks.as_slice()
    }

    /// Whether every task succeeded (an empty queue counts as success).
    pub fn is_success(&self) -> bool {
        self.tasks().iter().all(|t| t.outcome == Outcome::Succeeded)
    }

    /// How many tasks ended with `predicate` true of their outcome.
    pub fn count(&self, predicate: impl Fn(&Outcome) -> bool) -> usize {
        self.tasks()
            .iter()
            .filter(|t| predicate(&t.outcome))
            .count()
    }
}

impl PartialEq for RunReport {
    fn eq(&self, other: &Self) -> bool {
        self.tasks() == other.tasks()
    }
}

impl Eq for RunReport {}

impl fmt::Debug for RunReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunReport")
            .field("tasks", &self.tasks())
            .finish()
    }
}

/// A report's entries, the first kept inline: the report of a one-task queue, the common request,
/// costs no allocation.
#[derive(Clone, Default)]
pub(crate) enum Reports {
    #[default]
    Empty,
    One(TaskReport),
    Many(Vec<TaskReport>),
}

impl Reports {
    pub(crate) fn push(&mut self, report: TaskReport) {
        match self {
            Self::Empty => *self = Self::One(report),
            Self::One(_) => {
                let Self::One(first) = std::mem::take(self) else {
                    unreachable!("matched One")
                };
                // Vec's own first capacity for small elements: growing from two would copy more.
                let mut reports = Vec::with_capacity(4);
                reports.extend([first, report]);
                *self = Self::Many(reports);
            }
            Self::Many(reports) => reports.push(report),
        }
    }

    pub(crate) fn as_slice(&self) -> &[TaskReport] {
        match self {
            Self::Empty => &[],
            Self::One(report) => std::slice::from_ref(report),
            Self::Many(reports) => reports,
        }
    }
}

impl FromIterator<TaskReport> for Reports {
    fn from_iter<I: IntoIterator<Item = TaskReport>>(iter: I) -> Self {
        let mut reports = Self::Empty;
        for report in iter {
            reports.push(report);
        }
        reports
    }
}

/// What happened to one task.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TaskReport {
    /// The task's label.
    pub label: Cow<'static, str>,
    /// Whether it was sync or async.
    pub kind: TaskKind,
    /// How it ended.
    pub outcome: Outcome,
    /// How long it ran, from its start to its end (or to its cancellation by a timeout); zero for
    /// a task that never ran or was cut off by a cancelled run.
    pub duration: Duration,
}

/// How one task ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// It ran and returned `()` or `Ok(())`.
    Succeeded,
    /// It ran and returned this error: its `Display`, then each of its causes' (its
    /// `source()` chain), joined by `": "`.
    Failed(String),
    /// It panicked with this message.
    Panicked(String),
    /// It overran the runner's task timeout: an async task was cancelled, a sync one (which cannot
    /// be) ran to its end late.
    TimedOut(Timeout),
    /// It did not run because an earlier task of its queue failed under
    /// [`FailurePolicy::StopOnError`](crate::FailurePolicy::StopOnError).
    Skipped,
    /// It did not run because its queue was discarded (the request failed before it had a response).
    Discarded,
    /// It did not run, or was cut off while it ran, for this reason.
    Abandoned(AbandonReason),
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
    /// The task overran its timeout: cancelled, or (a sync task) ran to its end late.
    TimedOut(Timeout),
    /// The task never ran, or was cut off while it ran, for this reason.
    Abandoned(AbandonReason),
}

/// How a task overran the runner's task timeout ([`Runner::task_timeout`](crate::Runner::task_timeout)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Timeout {
    /// An async task still running at its timeout: cancelled then (its future dropped).
    Cancelled {
        /// The timeout.
        timeout: Duration,
    },
    /// A sync task that ran past its timeout. A thread cannot be cancelled, so it ran to its end;
    /// it counts as timed out even if it returned `Ok`.
    RanOver {
        /// How long it ran.
        took: Duration,
        /// The timeout.
        timeout: Duration,
    },
}

impl fmt::Display for Timeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Cancelled { timeout } => write!(f, "cancelled after {timeout:?}, its timeout"),
            Self::RanOver { took, timeout } => write!(
                f,
                "ran for {took:?}, over its {timeout:?} timeout (a sync task cannot be \
                 cancelled, so it ran to its end)"
            ),
        }
    }
}

/// Why a task did not run, or was cut off while it ran.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AbandonReason {
    /// Its runner was shutting down and started no new queue.
    ShuttingDown,
    /// The shutdown deadline ([`Runner::shutdown`](crate::Runner::shutdown)) passed before it
    /// started.
    Deadline,
    /// The future running its queue was dropped before its first poll.
    DroppedBeforeStart,
    /// The future running its queue was dropped while its sync tasks were on the blocking pool.
    DroppedBeforeResume,
    /// The future running its queue was dropped while this (async) task ran.
    CancelledWhileRunning,
    /// The future running its queue was dropped before it reached this task.
    CancelledBefore,
    /// Its queue was dropped without being run.
    QueueDropped,
    /// The executor could not run it: its blocking pool failed the job.
    Executor(BlockingError),
}

impl fmt::Display for AbandonReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ShuttingDown => {
                f.write_str("refused: the runner is shutting down and starts no new queue")
            }
            Self::Deadline => f.write_str("the shutdown deadline passed before it started"),
            Self::DroppedBeforeStart => f.write_str("the run was dropped before it started"),
            Self::DroppedBeforeResume => f.write_str("the run was dropped before it resumed"),
            Self::CancelledWhileRunning => {
                f.write_str("the run was cancelled while this task was running")
            }
            Self::CancelledBefore => f.write_str("the run was cancelled before reaching this task"),
            Self::QueueDropped => f.write_str("its queue was dropped without being run"),
            Self::Executor(error) => error.fmt(f),
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn report(label: &'static str, outcome: Outcome) -> TaskReport {
        TaskReport {
            label: label.into(),
            kind: TaskKind::Sync,
            outcome,
            duration: Duration::ZERO,
        }
    }

    #[test]
    fn a_report_keeps_its_entries_in_order_from_none_to_many() {
        let mut reports = Reports::default();
        assert!(reports.as_slice().is_empty());
        reports.push(report("a", Outcome::Succeeded));
        assert!(
            matches!(reports, Reports::One(_)),
            "one entry is kept inline"
        );
        reports.push(report("b", Outcome::Skipped));
        reports.push(report("c", Outcome::Failed("no".into())));
        let labels: Vec<&str> = reports.as_slice().iter().map(|r| &*r.label).collect();
        assert_eq!(labels, ["a", "b", "c"]);
        let collected: Reports = reports.as_slice().iter().cloned().collect();
        assert_eq!(collected.as_slice(), reports.as_slice());
    }

    #[test]
    fn success_and_counts_read_the_outcomes() {
        let run = RunReport {
            tasks: [
                report("a", Outcome::Succeeded),
                report("b", Outcome::Panicked("boom".into())),
                report("c", Outcome::Skipped),
            ]
            .into_iter()
            .collect(),
        };
        assert!(!run.is_success());
        assert_eq!(run.count(Outcome::is_failure), 1);
        assert_eq!(run.count(|o| *o == Outcome::Skipped), 1);
        assert!(RunReport::default().is_success(), "an empty queue succeeds");
    }

    #[test]
    fn failures_are_the_outcomes_of_tasks_that_ran_and_did_not_succeed() {
        let failures: Vec<bool> = [
            Outcome::Succeeded,
            Outcome::Failed(String::new()),
            Outcome::Panicked(String::new()),
            Outcome::TimedOut(Timeout::Cancelled {
                timeout: Duration::ZERO,
            }),
            Outcome::Skipped,
            Outcome::Discarded,
            Outcome::Abandoned(AbandonReason::Deadline),
        ]
        .iter()
        .map(Outcome::is_failure)
        .collect();
        assert_eq!(failures, [false, true, true, true, false, false, false]);
    }

    #[test]
    fn task_errors_say_what_happened_and_keep_the_original() {
        let error = TaskError::Failed("disk full".into());
        assert_eq!(error.to_string(), "task failed: disk full");
        assert_eq!(
            std::error::Error::source(&error).map(ToString::to_string),
            Some("disk full".to_owned())
        );
        assert!(std::error::Error::source(&TaskError::Panicked("x".into())).is_none());
    }
}
