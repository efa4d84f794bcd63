//! What an [`Observer`](super::Observer) shows: copies taken under its locks, for a page to read
//! at leisure.

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use super::TaskId;
use crate::report::Outcome;
use crate::task::TaskKind;

/// Where a task is: waiting, running, or ended with its outcome; or unknown to the observer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TaskState {
    /// Queued, not started.
    Queued,
    /// Started, not ended.
    Running,
    /// Ended, or never ran, with this outcome.
    Ended(Outcome),
    /// Ended by handing a durable job to its storage, which keeps it under this id where it gave
    /// one ([`Observer::pushed`](super::Observer::pushed); `background-tasks-apalis` tells it).
    /// From here the job engine has it: look the job up there.
    Pushed(Option<String>),
    /// Not in the observer's window: its queue has been forgotten, or the id was never given.
    Unknown,
}

impl TaskState {
    /// One word for the state: `queued`, `running`, `succeeded`, `failed`, `panicked`,
    /// `timed_out`, `skipped`, `discarded`, `abandoned`, `pushed` or `unknown`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Ended(outcome) => match outcome {
                Outcome::Succeeded => "succeeded",
                Outcome::Failed(_) => "failed",
                Outcome::Panicked(_) => "panicked",
                Outcome::TimedOut(_) => "timed_out",
                Outcome::Skipped => "skipped",
                Outcome::Discarded => "discarded",
                Outcome::Abandoned(_) => "abandoned",
            },
            Self::Pushed(_) => "pushed",
            Self::Unknown => "unknown",
        }
    }

    /// The error, panic message or reason of an outcome that has one.
    pub fn error(&self) -> Option<Cow<'_, str>> {
        match self {
            Self::Ended(Outcome::Failed(text) | Outcome::Panicked(text)) => Some(text.into()),
            Self::Ended(Outcome::TimedOut(timeout)) => Some(timeout.to_string().into()),
            Self::Ended(Outcome::Abandoned(reason)) => Some(reason.to_string().into()),
            _ => None,
        }
    }

    /// The storage's id of a pushed job, where it gave one.
    pub fn job_id(&self) -> Option<&str> {
        match self {
            Self::Pushed(job_id) => job_id.as_deref(),
            _ => None,
        }
    }
}

/// The request a queue belongs to, as an HTTP integration describes it
/// ([`integration::describe`](crate::integration::describe)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct QueueRequest {
    /// Its method, e.g. `POST`.
    pub method: Cow<'static, str>,
    /// Its path, without the query.
    pub path: String,
    /// The response's status, if there was a response.
    pub status: Option<u16>,
    /// How the response ended, e.g. `completed`, `cut_short`.
    pub ending: Cow<'static, str>,
}

impl QueueRequest {
    /// A request to `path` with `method`, answered with `status`, whose response ended as
    /// `ending` says.
    pub fn new(
        method: impl Into<Cow<'static, str>>,
        path: impl Into<String>,
        status: Option<u16>,
        ending: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            method: method.into(),
            path: path.into(),
            status,
            ending: ending.into(),
        }
    }
}

/// One kept queue.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct QueueView {
    /// The queue's number (the first half of its tasks' ids).
    pub id: u64,
    /// The observer's version at this queue's last change.
    pub version: u64,
    /// Its request, when an HTTP integration described it.
    pub request: Option<QueueRequest>,
    /// When its request ended and the queue was handed to the runner.
    pub response_end: Option<SystemTime>,
    /// From the response's end to the first task's start.
    pub queue_delay: Option<Duration>,
    /// Its tasks, in queue order.
    pub tasks: Vec<TaskView>,
}

/// One task of a kept queue.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TaskView {
    /// Its id.
    pub id: TaskId,
    /// Its label (redacted, if the observer redacts).
    pub label: Cow<'static, str>,
    /// Sync or async.
    pub kind: TaskKind,
    /// Where it is.
    pub state: TaskState,
    /// Why it was cancelled, for a task cancelled before it started.
    pub reason: Option<String>,
    /// When it was queued.
    pub queued: SystemTime,
    /// When it started.
    pub started: Option<SystemTime>,
    /// When it ended (or was settled without running).
    pub ended: Option<SystemTime>,
    /// How long it ran.
    pub duration: Option<Duration>,
}

/// What changed since a version ([`Observer::changes_since`](super::Observer::changes_since)).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Changes {
    /// The version these changes bring a reader up to: pass it to the next call.
    pub version: u64,
    /// The oldest queue still kept: a reader may forget every queue before it.
    pub oldest: Option<u64>,
    /// The changed queues, oldest first.
    pub queues: Vec<QueueView>,
    /// Changed queues left out to keep within the maximum asked for (the least recently
    /// changed).
    pub dropped: usize,
}

/// Live counts of an observer's tasks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Counts {
    /// Tasks queued since the observer was made.
    pub queued: u64,
    /// Tasks waiting to start now.
    pub waiting: u64,
    /// Tasks running now.
    pub running: u64,
    /// Tasks that succeeded.
    pub succeeded: u64,
    /// Tasks that returned an error.
    pub failed: u64,
    /// Tasks that panicked.
    pub panicked: u64,
    /// Tasks that overran their timeout.
    pub timed_out: u64,
    /// Tasks skipped after an earlier failure in their queue.
    pub skipped: u64,
    /// Tasks discarded (with their queue, or cancelled).
    pub discarded: u64,
    /// Tasks abandoned.
    pub abandoned: u64,
}
