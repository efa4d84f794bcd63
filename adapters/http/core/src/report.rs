//! [`RequestReport`]: what became of one request's queue, as an integration's report hook
//! receives it.

use std::fmt;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use background_tasks::{Outcome, RunReport};
use http::{Method, StatusCode};

/// What became of one request's queue: which request, how its response ended, whether the tasks
/// ran (or why not), and the [`RunReport`] of every task.
///
/// An integration (tower's `BackgroundTasksLayer::on_report`, actix-web's
/// `BackgroundTasksMiddleware::on_report`) hands one to its hook for every request that queued at
/// least one task: after the run when the tasks ran, as soon as it decides otherwise when they did
/// not (their outcomes are then [`Outcome::Discarded`](background_tasks::Outcome::Discarded)).
///
/// # Examples
///
/// ```
/// use background_tasks_http::{Decision, Ending, Settings};
///
/// let settings = Settings::default().with_on_report(|report| {
///     if report.ending() != Ending::Completed || report.decision() != Decision::Ran {
///         eprintln!(
///             "{} {}: {}, tasks {}",
///             report.method(),
///             report.path(),
///             report.ending(),
///             report.decision()
///         );
///     }
/// });
/// # let _ = settings;
/// ```
#[derive(Debug, Clone)]
pub struct RequestReport {
    pub(crate) method: Method,
    pub(crate) path: RequestPath,
    pub(crate) status: Option<StatusCode>,
    pub(crate) ending: Ending,
    pub(crate) decision: Decision,
    pub(crate) run: RunReport,
}

impl RequestReport {
    /// The request's method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The request's path, without the query (which may hold secrets).
    pub fn path(&self) -> &str {
        self.path.as_str()
    }

    /// The response's status, or `None` when the handler produced no response.
    pub fn status(&self) -> Option<StatusCode> {
        self.status
    }

    /// How the response ended.
    pub fn ending(&self) -> Ending {
        self.ending
    }

    /// Whether the tasks ran, or why not.
    pub fn decision(&self) -> Decision {
        self.decision
    }

    /// What happened to each task, in queue order.
    pub fn run(&self) -> &RunReport {
        &self.run
    }

    /// The [`RunReport`], without the request's details.
    pub fn into_run(self) -> RunReport {
        self.run
    }
}

/// How a request's response ended, as far as its body could tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Ending {
    /// The body reached its end: its last frame was handed to the server. A response that has no
    /// body on the wire (to a `HEAD` request, or a `1xx`, `204` or `304` status) completes as soon
    /// as the server is done with it.
    Completed,
    /// The body was dropped before its end: the client went away (or the server gave up on the
    /// connection) while it was being sent.
    CutShort,
    /// The body returned an error or panicked before its end.
    BodyFailed,
    /// The handler's future was dropped before it produced a response: the server does this when
    /// the client goes away while the handler is still working.
    Cancelled,
    /// The handler panicked: there is no response.
    Panicked,
    /// The service returned an `Err`: there is no response.
    Failed,
}

impl Ending {
    /// One word for the ending: `completed`, `cut_short`, `body_failed`, `cancelled`,
    /// `panicked` or `failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::CutShort => "cut_short",
            Self::BodyFailed => "body_failed",
            Self::Cancelled => "cancelled",
            Self::Panicked => "panicked",
            Self::Failed => "failed",
        }
    }

    /// Whether the response reached the client in full.
    pub fn is_completed(self) -> bool {
        self == Self::Completed
    }
}

impl fmt::Display for Ending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Completed => "the response body completed",
            Self::CutShort => "the response body was cut short",
            Self::BodyFailed => "the response body failed",
            Self::Cancelled => "the handler was cancelled before responding",
            Self::Panicked => "the handler panicked",
            Self::Failed => "the service returned an error",
        })
    }
}

/// Whether a request's tasks ran, or why not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Decision {
    /// The queue was handed to the executor and ran.
    Ran,
    /// Not run: the response's status is excluded by the integration's
    /// [`Statuses`](crate::Statuses) setting.
    SkippedForStatus,
    /// Not run: the client went away before the response ended, and the integration is set to
    /// [`OnDisconnect::Skip`](crate::OnDisconnect::Skip).
    SkippedOnDisconnect,
    /// Not run: the handler panicked or failed, so there is no response to follow.
    NoResponse,
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Ran => "ran",
            Self::SkippedForStatus => "discarded: the layer does not run tasks for this status",
            Self::SkippedOnDisconnect => {
                "discarded: the client went away and the layer skips tasks then"
            }
            Self::NoResponse => "discarded: the handler produced no response",
        })
    }
}

/// A request's path (without its query, which may hold secrets), copied out of the request so that
/// the report outlives it: inline when short, as almost every path is, so that requests pay no
/// allocation for a report they will most likely never need.
#[derive(Clone)]
pub(crate) enum RequestPath {
    Inline { bytes: [u8; INLINE_PATH], len: u8 },
    Heap(Box<str>),
}

const INLINE_PATH: usize = 62;

impl RequestPath {
    pub(crate) fn new(path: &str) -> Self {
        if path.len() <= INLINE_PATH {
            let mut bytes = [0; INLINE_PATH];
            bytes[..path.len()].copy_from_slice(path.as_bytes());
            Self::Inline {
                bytes,
                len: path.len() as u8,
            }
        } else {
            Self::Heap(path.into())
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        match self {
            // Copied whole from a `&str`, so the bytes are valid UTF-8.
            Self::Inline { bytes, len } => {
                std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or("/")
            }
            Self::Heap(path) => path,
        }
    }
}

impl fmt::Debug for RequestPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// The hook set with [`Settings::with_on_report`](crate::Settings::with_on_report).
pub(crate) type ReportHook = Arc<dyn Fn(RequestReport) + Send + Sync + 'static>;

/// Hands `report` to the user's hook, or logs what did not succeed.
pub(crate) fn deliver(on_report: Option<&ReportHook>, report: RequestReport) {
    let Some(hook) = on_report else {
        log(&report);
        return;
    };
    if catch_unwind(AssertUnwindSafe(|| hook(report))).is_err() {
        tracing::error!("the background tasks report hook panicked");
    }
}

fn log(report: &RequestReport) {
    let run = report.run();
    let status = report.status().map(|status| status.as_u16());
    if report.decision() != Decision::Ran {
        tracing::warn!(
            method = %report.method(),
            path = report.path(),
            status,
            ending = %report.ending(),
            discarded = run.tasks().len(),
            "background tasks {}",
            report.decision()
        );
    } else if !run.is_success() {
        let tally = Tally::of(run.tasks().iter().map(|task| &task.outcome));
        tracing::error!(
            method = %report.method(),
            path = report.path(),
            status,
            ending = %report.ending(),
            succeeded = tally.succeeded,
            failed = tally.failed,
            panicked = tally.panicked,
            timed_out = tally.timed_out,
            not_run = tally.not_run,
            "background tasks did not all succeed"
        );
    } else {
        tracing::debug!(
            method = %report.method(),
            path = report.path(),
            status,
            ending = %report.ending(),
            tasks = run.tasks().len(),
            "background tasks ran"
        );
    }
}

/// A request's outcomes counted under the names the runner's metrics use: a panic is not a
/// failure's count, nor a timeout.
#[derive(Debug, Default, PartialEq, Eq)]
struct Tally {
    succeeded: usize,
    failed: usize,
    panicked: usize,
    timed_out: usize,
    /// Skipped, discarded or abandoned.
    not_run: usize,
}

impl Tally {
    fn of<'a>(outcomes: impl IntoIterator<Item = &'a Outcome>) -> Self {
        let mut tally = Self::default();
        for outcome in outcomes {
            let count = match outcome {
                Outcome::Succeeded => &mut tally.succeeded,
                Outcome::Failed(_) => &mut tally.failed,
                Outcome::Panicked(_) => &mut tally.panicked,
                Outcome::TimedOut(_) => &mut tally.timed_out,
                _ => &mut tally.not_run,
            };
            *count += 1;
        }
        tally
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_path_is_kept_inline_and_a_long_one_on_the_heap() {
        let short = RequestPath::new("/send-notification/ada@example.com");
        assert!(matches!(short, RequestPath::Inline { .. }));
        assert_eq!(short.as_str(), "/send-notification/ada@example.com");

        let exactly = "/".repeat(INLINE_PATH);
        assert!(matches!(
            RequestPath::new(&exactly),
            RequestPath::Inline { .. }
        ));
        assert_eq!(RequestPath::new(&exactly).as_str(), exactly);

        let long = format!("/{}", "é".repeat(INLINE_PATH));
        let path = RequestPath::new(&long);
        assert!(matches!(path, RequestPath::Heap(_)));
        assert_eq!(path.as_str(), long);
        assert_eq!(format!("{path:?}"), format!("{long:?}"));
    }

    #[test]
    fn the_summary_counts_panics_and_timeouts_apart_from_failures() {
        let outcomes = [
            Outcome::Succeeded,
            Outcome::Failed("disk full".into()),
            Outcome::Panicked("boom".into()),
            Outcome::Panicked("boom".into()),
            Outcome::TimedOut(background_tasks::Timeout::Cancelled {
                timeout: std::time::Duration::from_secs(1),
            }),
            Outcome::Skipped,
        ];
        assert_eq!(
            Tally::of(&outcomes),
            Tally {
                succeeded: 1,
                failed: 1,
                panicked: 2,
                timed_out: 1,
                not_run: 1,
            }
        );
    }

    #[test]
    fn endings_and_decisions_read_as_sentences() {
        assert_eq!(
            Ending::CutShort.to_string(),
            "the response body was cut short"
        );
        assert!(!Decision::Ran.to_string().is_empty());
    }
}
