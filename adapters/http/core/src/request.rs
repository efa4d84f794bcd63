//! [`RequestTasks`]: one request's queue from the moment the integration sees the request to the
//! request's end, and the decision taken there: run the queue, or discard it, and report.
//!
//! A `RequestTasks` travels with the request: created when the integration's service is called,
//! held by a [`PendingResponse`](crate::PendingResponse) while the handler works, then by a
//! [`BodyEnd`](crate::BodyEnd) in the response body. Whichever of them sees the request end (the
//! body reaching its end or being dropped, the handler panicking, failing or being cancelled)
//! calls [`RequestTasks::finish`] exactly once.

use std::fmt;
use std::sync::Arc;

use background_tasks::integration::{self, RequestScope};
use background_tasks::{BackgroundTasks, Executor, RunReport, Runner};
use http::{Method, StatusCode};

use crate::report::{Decision, Ending, RequestPath, RequestReport, deliver};
use crate::settings::{OnDisconnect, Settings};

/// What one integration's services share: its runner and settings. Built once per app (tower's
/// `Layer::layer`, actix-web's `Transform::new_transform`), shared (as an `Arc<dyn Dispatch>`) by
/// every request.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
///
/// use background_tasks::Runner;
/// use background_tasks_http::{Dispatch, Dispatcher, Settings};
/// # use background_tasks::{BlockingError, BlockingJob, BoxFuture, Executor};
/// # #[derive(Debug, Clone)] struct MyExecutor;
/// # impl Executor for MyExecutor {
/// #     fn spawn(&self, _: BoxFuture<()>) {}
/// #     fn spawn_blocking(&self, _: BlockingJob) -> BoxFuture<Result<(), BlockingError>> {
/// #         Box::pin(async { Ok(()) })
/// #     }
/// # }
///
/// let dispatch: Arc<dyn Dispatch> = Arc::new(Dispatcher::new(Runner::new(MyExecutor), Settings::default()));
/// # let _ = dispatch;
/// ```
#[derive(Debug)]
pub struct Dispatcher<E> {
    runner: Runner<E>,
    settings: Settings,
}

impl<E> Dispatcher<E> {
    /// Queues will run with `runner`, and end under `settings`.
    pub fn new(runner: Runner<E>, settings: Settings) -> Self {
        Self { runner, settings }
    }
}

/// [`Dispatcher`] without its executor type, so that an integration's service, future and body
/// types need not name it.
pub trait Dispatch: Send + Sync + 'static {
    /// The settings requests end under.
    fn settings(&self) -> &Settings;

    /// A request's scope: its queue, once created, counts in the runner's metrics and refuses
    /// tasks after a shutdown.
    fn scope(&self) -> RequestScope;

    /// Spawns the run of a non-empty queue, then reports it; `request` is the span the request
    /// was handled in.
    fn spawn_run(&self, tasks: BackgroundTasks, report: RequestReport, request: &tracing::Span);

    /// Closes a queue without running it, counting its tasks as discarded.
    fn discard(&self, tasks: BackgroundTasks) -> RunReport;

    /// Tells the runner's observer, if it has one, which request `tasks` belongs to (feature
    /// `status`). Does nothing by default.
    #[cfg(feature = "status")]
    fn describe(&self, tasks: &BackgroundTasks, report: &RequestReport) {
        let _ = (tasks, report);
    }
}

impl<E: Executor + Clone> Dispatch for Dispatcher<E> {
    fn settings(&self) -> &Settings {
        &self.settings
    }

    fn scope(&self) -> RequestScope {
        RequestScope::for_runner(&self.runner)
    }

    fn spawn_run(&self, tasks: BackgroundTasks, report: RequestReport, request: &tracing::Span) {
        // Task spans nest under this one, so a failure in a log points at the request. It is a
        // root linked to the request's span, not a child of whatever span is current when the
        // body ends: the work happens after the request, and a trace backend should show it so.
        // Field names are OpenTelemetry's HTTP conventions.
        let span = tracing::info_span!(
            parent: None,
            "background_tasks",
            otel.name = %format_args!("background_tasks {}", report.method),
            http.request.method = %report.method,
            url.path = report.path(),
        );
        span.follows_from(request);
        // Without a subscriber the span says nothing: the stderr line names the request itself.
        if integration::failures_go_to_stderr(&self.runner) {
            let line = RequestLine {
                method: report.method.clone(),
                path: report.path.clone(),
            };
            integration::name_request(&tasks, line);
        }
        // The run carries the report's parts but not its empty `run` field, and of the settings
        // only the hook: the spawned future's size is paid on every spawn.
        let RequestReport {
            method,
            path,
            status,
            ending,
            decision,
            run: _,
        } = report;
        let on_report = self.settings.on_report.clone();
        span.in_scope(|| {
            self.runner.spawn(tasks, move |run| {
                let report = RequestReport {
                    method,
                    path,
                    status,
                    ending,
                    decision,
                    run,
                };
                deliver(on_report.as_ref(), report);
            });
        });
    }

    fn discard(&self, tasks: BackgroundTasks) -> RunReport {
        integration::discard(&self.runner, tasks)
    }

    #[cfg(feature = "status")]
    fn describe(&self, tasks: &BackgroundTasks, report: &RequestReport) {
        // Checked first: without an observer, a request pays no lock and no copy of its path.
        if self.runner.observer().is_none() {
            return;
        }
        let request = background_tasks::status::QueueRequest::new(
            method_name(&report.method),
            report.path(),
            report.status.map(|status| status.as_u16()),
            report.ending.as_str(),
        );
        integration::describe(tasks, request);
    }
}

/// A request as the default hook's stderr line names it (`POST /send-notification/ada`): its
/// parts, written out only when a failure's line is.
struct RequestLine {
    method: Method,
    path: RequestPath,
}

impl fmt::Display for RequestLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path.as_str())
    }
}

/// A method's name, borrowed for the standard ones: the observer keeps one per request.
#[cfg(feature = "status")]
fn method_name(method: &http::Method) -> std::borrow::Cow<'static, str> {
    use http::Method;

    let name = match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => return method.as_str().to_owned().into(),
    };
    name.into()
}

/// One request's queue and what its report needs, from the integration's `call` until the request
/// ends.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
///
/// use background_tasks::{BackgroundTasks, Runner};
/// use background_tasks_http::{Dispatcher, Ending, RequestTasks, Settings};
/// use http::{Method, StatusCode};
/// # use background_tasks::{BlockingError, BlockingJob, BoxFuture, Executor};
/// # #[derive(Debug, Clone)] struct MyExecutor;
/// # impl Executor for MyExecutor {
/// #     fn spawn(&self, _: BoxFuture<()>) {}
/// #     fn spawn_blocking(&self, _: BlockingJob) -> BoxFuture<Result<(), BlockingError>> {
/// #         Box::pin(async { Ok(()) })
/// #     }
/// # }
///
/// let dispatch = Arc::new(Dispatcher::new(Runner::new(MyExecutor), Settings::default()));
/// let mut tasks = RequestTasks::new(dispatch, Method::GET, "/", tracing::Span::current());
/// // The handler runs inside the request's scope.
/// tasks.scope_mut().enter(|| BackgroundTasks::current().unwrap().add_task(|| ()));
/// // The response ended: run the queue (here on `MyExecutor`), or discard it and report.
/// tasks.finish(Some(StatusCode::OK), Ending::Completed);
/// ```
pub struct RequestTasks {
    // The request's queue, created only if the handler (or an extractor, or the body) asks for it.
    scope: RequestScope,
    dispatch: Arc<dyn Dispatch>,
    method: Method,
    path: RequestPath,
    // The span the request is handled in, for the queue's span to follow from.
    span: tracing::Span,
}

impl RequestTasks {
    /// A request to `path` (without its query) with `method`, handled in `span`; its queue is
    /// made on first use inside [`scope_mut`](Self::scope_mut)`().enter(…)`.
    pub fn new(
        dispatch: Arc<dyn Dispatch>,
        method: Method,
        path: &str,
        span: tracing::Span,
    ) -> Self {
        Self {
            scope: dispatch.scope(),
            dispatch,
            method,
            path: RequestPath::new(path),
            span,
        }
    }

    /// The request's scope, to enter around every call into the handler and its body.
    pub fn scope_mut(&mut self) -> &mut RequestScope {
        &mut self.scope
    }

    /// Whether a response with `status` to this request sends no body on the wire, so that the
    /// server drops the body without polling it.
    pub fn has_no_body(&self, status: StatusCode) -> bool {
        self.method == Method::HEAD
            || status.is_informational()
            || status == StatusCode::NO_CONTENT
            || status == StatusCode::NOT_MODIFIED
    }

    /// Runs or discards the queue and reports it: `status` is the response's (`None` when the
    /// handler produced none), `ending` how it ended. Never spawns, allocates or reports for an
    /// empty queue.
    pub fn finish(self, status: Option<StatusCode>, ending: Ending) {
        let Self {
            mut scope,
            dispatch,
            method,
            path,
            span,
        } = self;
        // Nobody asked for the queue: it was never created, and there is nothing to do.
        let Some(tasks) = scope.take_tasks() else {
            return;
        };
        let settings = dispatch.settings();
        let decision = decide(settings, status, ending);
        // Closing an empty queue is one lock: late additions are then refused, and a task added
        // concurrently makes the queue non-empty, so it gets a run instead.
        if decision == Decision::Ran && integration::close_if_empty(&tasks) {
            return;
        }
        let mut report = RequestReport {
            method,
            path,
            status,
            ending,
            decision,
            run: Default::default(),
        };
        #[cfg(feature = "status")]
        dispatch.describe(&tasks, &report);
        if decision == Decision::Ran {
            dispatch.spawn_run(tasks, report, &span);
        } else {
            report.run = dispatch.discard(tasks);
            if !report.run.tasks().is_empty() {
                deliver(settings.on_report.as_ref(), report);
            }
        }
    }
}

impl fmt::Debug for RequestTasks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestTasks")
            .field("scope", &self.scope)
            .field("method", &self.method)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

fn decide(settings: &Settings, status: Option<StatusCode>, ending: Ending) -> Decision {
    match ending {
        Ending::Panicked | Ending::Failed => Decision::NoResponse,
        _ if status.is_some_and(|status| !settings.statuses().allows(status)) => {
            Decision::SkippedForStatus
        }
        Ending::Completed => Decision::Ran,
        _ => match settings.on_disconnect() {
            OnDisconnect::Run => Decision::Ran,
            OnDisconnect::Skip => Decision::SkippedOnDisconnect,
        },
    }
}
