//! [`RequestTasks`]: one request's queue from the service's `call` to the request's end, and the
//! decision taken there: run the queue, or discard it, and report.
//!
//! A `RequestTasks` travels with the request: created by the service's `call`, moved into the
//! response future, then into the response body. Whichever of them sees the request end (the body
//! reaching its end or being dropped, the handler panicking, failing or being cancelled) calls
//! [`RequestTasks::finish`] exactly once.

use std::fmt;
use std::sync::Arc;

use background_tasks::integration::{self, RequestScope};
use background_tasks::{BackgroundTasks, Executor, RunReport, Runner};
use http::{Method, StatusCode};

use crate::report::{Decision, Ending, RequestPath, RequestReport, deliver};
use crate::settings::{OnDisconnect, Settings};

/// What one layer's services share: built once per `Layer::layer`, cloned (as an `Arc`) per request.
pub(crate) struct Shared<E> {
    pub(crate) runner: Runner<E>,
    pub(crate) settings: Settings,
}

/// [`Shared`] without its executor type, so that the service, future and body types need not name
/// it.
pub(crate) trait Dispatch: Send + Sync + 'static {
    fn settings(&self) -> &Settings;

    /// A request's scope: its queue, once created, counts in the runner's metrics and refuses
    /// tasks after a shutdown.
    fn scope(&self) -> RequestScope;

    /// Spawns the run of a non-empty queue, then reports it; `request` is the span the request
    /// was handled in.
    fn spawn_run(&self, tasks: BackgroundTasks, report: RequestReport, request: &tracing::Span);

    /// Closes a queue without running it, counting its tasks as discarded.
    fn discard(&self, tasks: BackgroundTasks) -> RunReport;
}

impl<E: Executor + Clone> Dispatch for Shared<E> {
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
}

/// One request's queue and what its report needs, from `call` until the request ends.
pub(crate) struct RequestTasks {
    // The request's queue, created only if the handler (or an extractor, or the body) asks for it.
    pub(crate) scope: RequestScope,
    pub(crate) dispatch: Arc<dyn Dispatch>,
    pub(crate) method: Method,
    pub(crate) path: RequestPath,
    // The span the request is handled in, for the queue's span to follow from.
    pub(crate) span: tracing::Span,
}

impl RequestTasks {
    /// Whether a response with `status` to this request sends no body on the wire, so that the
    /// server drops the body without polling it.
    pub(crate) fn has_no_body(&self, status: StatusCode) -> bool {
        self.method == Method::HEAD
            || status.is_informational()
            || status == StatusCode::NO_CONTENT
            || status == StatusCode::NOT_MODIFIED
    }

    /// Runs or discards the queue and reports it. Never spawns, allocates or reports for an empty
    /// queue.
    pub(crate) fn finish(self, status: Option<StatusCode>, ending: Ending) {
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
        _ if status.is_some_and(|status| !settings.statuses.allows(status)) => {
            Decision::SkippedForStatus
        }
        Ending::Completed => Decision::Ran,
        _ => match settings.on_disconnect {
            OnDisconnect::Run => Decision::Ran,
            OnDisconnect::Skip => Decision::SkippedOnDisconnect,
        },
    }
}
