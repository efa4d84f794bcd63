//! The layer's settings: [`OnDisconnect`], [`Statuses`], and the report hook.

use http::StatusCode;

use crate::report::ReportHook;

/// What `BackgroundTasksLayer`'s builder methods set.
#[derive(Clone, Default)]
pub(crate) struct Settings {
    pub(crate) on_disconnect: OnDisconnect,
    pub(crate) statuses: Statuses,
    pub(crate) on_report: Option<ReportHook>,
}

/// What happens to a request's tasks when the client goes away before the response ends: while
/// the body is being sent, or while the handler is still working.
///
/// FastAPI (with Uvicorn) runs them only if the response was sent in full; here the default is to
/// run them, because the handler promised that work and the client leaving does not undo it
/// (think of a payment recorded before the confirmation page was sent). Either way the outcome is
/// in the [`RequestReport`](crate::RequestReport).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OnDisconnect {
    /// Run the tasks anyway (the default).
    #[default]
    Run,
    /// Discard them, reporting each as [`Outcome::Discarded`](background_tasks::Outcome::Discarded).
    Skip,
}

/// Which response statuses run tasks.
///
/// FastAPI runs a request's tasks whenever the endpoint returns, even a `500` it built itself, and
/// none when it raises. A Rust handler's `Err` *is* a response, so the same rule is the default
/// here ([`All`](Self::All)), and [`Success`](Self::Success) is how to ask for "only when the
/// handler succeeded". A handler that panics runs none in any case.
///
/// # Examples
///
/// ```
/// use background_tasks_tower::Statuses;
/// use http::StatusCode;
///
/// assert!(Statuses::All.allows(StatusCode::INTERNAL_SERVER_ERROR));
/// assert!(Statuses::Success.allows(StatusCode::SEE_OTHER));
/// assert!(!Statuses::Success.allows(StatusCode::NOT_FOUND));
///
/// let not_server_errors = Statuses::Matching(|status| !status.is_server_error());
/// assert!(not_server_errors.allows(StatusCode::NOT_FOUND));
/// ```
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub enum Statuses {
    /// Every status (the default).
    #[default]
    All,
    /// Success and redirection: `2xx` and `3xx`.
    Success,
    /// The statuses for which the function returns `true`.
    Matching(fn(StatusCode) -> bool),
}

impl Statuses {
    /// Whether a response with `status` runs its tasks.
    pub fn allows(&self, status: StatusCode) -> bool {
        match self {
            Self::All => true,
            Self::Success => status.is_success() || status.is_redirection(),
            Self::Matching(allows) => allows(status),
        }
    }
}
