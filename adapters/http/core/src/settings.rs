//! [`Settings`]: what an integration's builder sets ([`OnDisconnect`], [`Statuses`], the report
//! hook), the same for every framework.

use std::fmt;
use std::sync::Arc;

use http::StatusCode;

use crate::report::{ReportHook, RequestReport};

/// What an integration's builder methods set (`BackgroundTasksLayer::on_disconnect`,
/// `BackgroundTasksMiddleware::statuses`, …): the same settings, with the same defaults, for
/// every framework.
///
/// # Examples
///
/// ```
/// use background_tasks_http::{OnDisconnect, Settings, Statuses};
///
/// let settings = Settings::default()
///     .with_on_disconnect(OnDisconnect::Skip)
///     .with_statuses(Statuses::Success)
///     .with_on_report(|report| eprintln!("{} {}: {}", report.method(), report.path(), report.decision()));
/// assert_eq!(settings.on_disconnect(), OnDisconnect::Skip);
/// assert!(settings.has_report_hook());
/// ```
#[derive(Clone, Default)]
#[must_use = "settings do nothing until an integration is built with them"]
pub struct Settings {
    on_disconnect: OnDisconnect,
    statuses: Statuses,
    pub(crate) on_report: Option<ReportHook>,
}

impl Settings {
    /// Sets what happens to the tasks when the client goes away before the response ends.
    pub fn with_on_disconnect(mut self, on_disconnect: OnDisconnect) -> Self {
        self.on_disconnect = on_disconnect;
        self
    }

    /// Sets which response statuses run tasks.
    pub fn with_statuses(mut self, statuses: Statuses) -> Self {
        self.statuses = statuses;
        self
    }

    /// Sets the hook that receives a [`RequestReport`] for every request that queued at least one
    /// task, replacing the default `tracing` events. A panic inside it is caught and logged.
    pub fn with_on_report<F>(mut self, hook: F) -> Self
    where
        F: Fn(RequestReport) + Send + Sync + 'static,
    {
        self.on_report = Some(Arc::new(hook) as ReportHook);
        self
    }

    /// What happens to the tasks when the client goes away before the response ends.
    pub fn on_disconnect(&self) -> OnDisconnect {
        self.on_disconnect
    }

    /// Which response statuses run tasks.
    pub fn statuses(&self) -> Statuses {
        self.statuses
    }

    /// Whether a report hook replaces the default `tracing` events.
    pub fn has_report_hook(&self) -> bool {
        self.on_report.is_some()
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("on_disconnect", &self.on_disconnect)
            .field("statuses", &self.statuses)
            .field("custom_report_hook", &self.on_report.is_some())
            .finish()
    }
}

/// What happens to a request's tasks when the client goes away before the response ends: while
/// the body is being sent, or while the handler is still working.
///
/// FastAPI (with Uvicorn) runs them only if the response was sent in full; here the default is to
/// run them, because the handler promised that work and the client leaving does not undo it
/// (think of a payment recorded before the confirmation page was sent). Either way the outcome is
/// in the [`RequestReport`].
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
/// use background_tasks_http::Statuses;
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
