//! [`StatusPage`]: what every framework's service shares: the observer, the access hook, and
//! the one function that answers a request, as a [`Reply`] the service turns into its
//! framework's response.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use background_tasks::status::{Observer, TaskId};
use background_tasks::{Executor, Runner};
use bytes::Bytes;
use serde_json::json;

use crate::access::{Access, Caller};
use crate::events::Events;
use crate::json;
use crate::state::Inner;

/// The page's files, embedded: no build step, no CDN.
const INDEX: &str = include_str!("assets/index.html");
const SCRIPT: &str = include_str!("assets/app.js");
const STYLE: &str = include_str!("assets/app.css");
const ICON: &str = include_str!("assets/icon.svg");

/// The Content-Security-Policy every answer carries: the page loads nothing but its own files,
/// runs no inline script or style, and may not be framed.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; frame-ancestors 'none'";

/// How often the live stream sends at most one update: changes in between are merged.
pub const DEFAULT_PACE: Duration = Duration::from_millis(100);

/// A runner's status page, to serve with [`StatusService`](crate::StatusService) (tower, axum,
/// `server::serve`), under any prefix.
///
/// # Examples
///
/// ```
/// use background_tasks::Runner;
/// use background_tasks::status::Observer;
/// use background_tasks_status::{Access, StatusPage};
/// # use background_tasks::{BlockingError, BlockingJob, BoxFuture, Executor};
/// # #[derive(Debug, Clone)] struct MyExecutor;
/// # impl Executor for MyExecutor {
/// #     fn spawn(&self, _: BoxFuture<()>) {}
/// #     fn spawn_blocking(&self, _: BlockingJob) -> BoxFuture<Result<(), BlockingError>> {
/// #         Box::pin(async { Ok(()) })
/// #     }
/// # }
///
/// let runner = Runner::new(MyExecutor).observe(Observer::default());
/// let page = StatusPage::new(&runner)
///     .unwrap()
///     .access(|caller| match caller.header("x-admin-token") {
///         Some("let-me-in") => Access::Admin,
///         _ => Access::loopback_read_only(caller),
///     });
/// let service = page.service(); // axum: Router::new().nest_service("/_tasks", service)
/// # let _ = service;
/// ```
#[derive(Clone)]
pub struct StatusPage {
    pub(crate) inner: Arc<Inner>,
}

/// Why a [`StatusPage`] could not be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StatusPageError {
    /// The runner has no observer, so there is nothing to show.
    NoObserver,
}

impl fmt::Display for StatusPageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoObserver => f.write_str(
                "this runner records nothing to show: give it an observer first, e.g. \
                 `Runner::new(executor).observe(Observer::default())`, and use that runner \
                 in the layer (`BackgroundTasksLayer::with_runner`)",
            ),
        }
    }
}

impl std::error::Error for StatusPageError {}

impl StatusPage {
    /// The page of `runner`'s observer; the live stream paces itself on its executor's timer.
    ///
    /// # Errors
    ///
    /// [`StatusPageError::NoObserver`] when the runner has no observer.
    pub fn new<E: Executor + Clone>(runner: &Runner<E>) -> Result<Self, StatusPageError> {
        let observer = runner.observer().ok_or(StatusPageError::NoObserver)?;
        Ok(Self {
            inner: Arc::new(Inner {
                observer: observer.clone(),
                timer: Arc::new(runner.executor().clone()),
                access: Arc::new(Access::loopback_read_only),
                pace: DEFAULT_PACE,
                streams: Arc::default(),
            }),
        })
    }

    /// Decides each request's [`Access`] with `hook` (the app's own auth: a header, a cookie,
    /// the peer address). The default is [`Access::loopback_read_only`].
    #[must_use = "access returns the configured page"]
    pub fn access<F>(self, hook: F) -> Self
    where
        F: Fn(&Caller<'_>) -> Access + Send + Sync + 'static,
    {
        self.with(|inner| inner.access = Arc::new(hook))
    }

    /// Sends at most one live update per `pace` (default [`DEFAULT_PACE`]).
    #[must_use = "pace returns the configured page"]
    pub fn pace(self, pace: Duration) -> Self {
        self.with(|inner| inner.pace = pace)
    }

    /// Ends every live stream open now or later (each sends its last update first): call it when
    /// the server starts its graceful shutdown, which otherwise waits for the streams, which never
    /// end by themselves. Pages reopened later get their snapshot and nothing after.
    pub fn end_streams(&self) {
        self.inner.streams.end();
    }

    /// The observer it shows.
    pub fn observer(&self) -> &Observer {
        &self.inner.observer
    }

    fn with(self, change: impl FnOnce(&mut Inner)) -> Self {
        let Inner {
            observer,
            timer,
            access,
            pace,
            streams,
        } = &*self.inner;
        let mut inner = Inner {
            observer: observer.clone(),
            timer: Arc::clone(timer),
            access: Arc::clone(access),
            pace: *pace,
            streams: Arc::clone(streams),
        };
        change(&mut inner);
        Self {
            inner: Arc::new(inner),
        }
    }

    /// Answers one request: `path` is under the mount point (any prefix before the page's own
    /// names is ignored), `resume` the live stream's `Last-Event-ID` (or `?since=`).
    pub(crate) fn answer(
        &self,
        caller: &Caller<'_>,
        query: Option<&str>,
        resume: Option<&str>,
    ) -> Reply {
        let access = (self.inner.access)(caller);
        if access == Access::Deny {
            return Reply::text(403, "forbidden: this status page is not open to you\n");
        }
        let (method, path) = (caller.method(), caller.path());
        let segments: Vec<&str> = path.split('/').collect();
        let last = |n: usize| segments.len().checked_sub(n).map(|at| &segments[at..]);
        if let Some(["api", "tasks", id, "cancel"]) = last(4) {
            return self.cancel(method, id, access, caller);
        }
        if method != "GET" && method != "HEAD" {
            return Reply::text(
                405,
                "method not allowed: the status page only reads, except for a cancel (POST)\n",
            );
        }
        match (last(3), last(2), last(1)) {
            (_, Some(["api", "snapshot"]), _) => {
                let changes = self.inner.observer.changes_since(0, usize::MAX);
                Reply::json(200, &json::state(&self.inner.observer, access, changes))
            }
            (_, Some(["api", "events"]), _) => {
                let since = resume
                    .or_else(|| query_value(query, "since"))
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                Reply::events(Events::new(Arc::clone(&self.inner), access, since))
            }
            (Some(["api", "tasks", id]), _, _) => self.lookup(id),
            (_, _, Some(["app.js"])) => Reply::asset("text/javascript; charset=utf-8", SCRIPT),
            (_, _, Some(["app.css"])) => Reply::asset("text/css; charset=utf-8", STYLE),
            (_, _, Some(["icon.svg"])) => Reply::asset("image/svg+xml", ICON),
            (_, _, Some([""]) | None) => Reply::asset("text/html; charset=utf-8", INDEX),
            _ => Reply::text(
                404,
                "not found: the status page has /, app.js, app.css, icon.svg, api/snapshot, api/events, api/tasks/{id}\n",
            ),
        }
    }

    fn lookup(&self, id: &str) -> Reply {
        let parsed: TaskId = match id.parse() {
            Ok(parsed) => parsed,
            Err(error) => return Reply::json(400, &json!({ "error": error.to_string() })),
        };
        let observer = &self.inner.observer;
        let state = observer.task(parsed);
        let view = observer.task_view(parsed);
        Reply::json(200, &json::task_lookup(id, &state, view.as_ref()))
    }

    fn cancel(&self, method: &str, id: &str, access: Access, caller: &Caller<'_>) -> Reply {
        if method != "POST" {
            return Reply::text(405, "method not allowed: cancel a task with POST\n");
        }
        let peer = caller.peer().map(|p| p.to_string());
        if access != Access::Admin {
            tracing::warn!(
                task = id,
                peer,
                access = access.as_str(),
                "status page: cancel refused"
            );
            return Reply::json(
                403,
                &json!({ "error": "forbidden: cancelling a task needs admin access" }),
            );
        }
        let parsed: TaskId = match id.parse() {
            Ok(parsed) => parsed,
            Err(error) => return Reply::json(400, &json!({ "error": error.to_string() })),
        };
        let reason = match &peer {
            Some(peer) => format!("cancelled from the status page by {peer}"),
            None => "cancelled from the status page".to_owned(),
        };
        match self.inner.observer.cancel(parsed, &reason) {
            Ok(()) => {
                tracing::info!(task = id, peer, "status page: task cancelled");
                Reply::json(
                    200,
                    &json!({ "id": id, "state": "discarded", "error": reason }),
                )
            }
            Err(error) => {
                tracing::info!(task = id, peer, %error, "status page: cancel found nothing to cancel");
                Reply::json(409, &json!({ "error": error.to_string() }))
            }
        }
    }
}

impl fmt::Debug for StatusPage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StatusPage")
            .field("observer", &self.inner.observer)
            .field("pace", &self.inner.pace)
            .finish_non_exhaustive()
    }
}

fn query_value<'a>(query: Option<&'a str>, name: &str) -> Option<&'a str> {
    query?.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == name).then_some(value)
    })
}

/// An answer, before it becomes a framework's response.
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) content_type: &'static str,
    pub(crate) body: ReplyBody,
}

pub(crate) enum ReplyBody {
    Full(Bytes),
    Events(Events),
}

impl Reply {
    fn text(status: u16, text: &'static str) -> Self {
        Self {
            status,
            content_type: "text/plain; charset=utf-8",
            body: ReplyBody::Full(Bytes::from_static(text.as_bytes())),
        }
    }

    fn asset(content_type: &'static str, text: &'static str) -> Self {
        Self {
            status: 200,
            content_type,
            body: ReplyBody::Full(Bytes::from_static(text.as_bytes())),
        }
    }

    fn json(status: u16, value: &serde_json::Value) -> Self {
        Self {
            status,
            content_type: "application/json",
            body: ReplyBody::Full(Bytes::from(value.to_string())),
        }
    }

    fn events(events: Events) -> Self {
        Self {
            status: 200,
            content_type: "text/event-stream",
            body: ReplyBody::Events(events),
        }
    }

    /// The headers every answer carries besides its content type.
    pub(crate) const HEADERS: [(&'static str, &'static str); 4] = [
        ("content-security-policy", CONTENT_SECURITY_POLICY),
        ("x-content-type-options", "nosniff"),
        ("cache-control", "no-store"),
        ("referrer-policy", "no-referrer"),
    ];
}
