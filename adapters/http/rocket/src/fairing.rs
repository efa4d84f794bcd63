//! [`BackgroundTasksFairing`]: the Rocket fairing and its settings.

use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};

use background_tasks::integration::SharedScope;
use background_tasks::{Executor, Runner};
use background_tasks_http::{
    Dispatch, Dispatcher, OnDisconnect, RequestReport, RequestTasks, Settings, Statuses,
};
use rocket::fairing::{Fairing, Info, Kind};
use rocket::{Data, Request, Response};

use crate::body::ResponseBody;

/// A Rocket [`Fairing`] that gives every request a fresh
/// [`BackgroundTasks`](background_tasks::BackgroundTasks) queue and runs it on `E` once the
/// response body has been sent.
///
/// `BackgroundTasks` is a request guard that hands the queue out; it is created only when a guard
/// asks for it, so a request that queues nothing allocates nothing. When a request arrives
/// (`on_request`) the fairing keeps the request's queue aside; when its response is ready
/// (`on_response`) it wraps the response body in a reader that, once Rocket has read and handed
/// the body's last byte to the server, hands the queue to [`Executor::spawn`] as a task of its
/// own, so neither the response nor the connection waits for it.
///
/// The settings are those of tower's `BackgroundTasksLayer`, with the same defaults:
/// [`on_disconnect`](Self::on_disconnect), [`statuses`](Self::statuses),
/// [`on_report`](Self::on_report); the failure policy and error hook come from the [`Runner`].
///
/// # Examples
///
/// ```
/// use background_tasks::{FailurePolicy, Runner};
/// use background_tasks_rocket::{BackgroundTasksFairing, OnDisconnect, Statuses};
/// use background_tasks_tokio::TokioExecutor;
///
/// # rocket::tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let runner = Runner::new(TokioExecutor::new()).policy(FailurePolicy::ContinueOnError);
/// let fairing = BackgroundTasksFairing::with_runner(runner)
///     .on_disconnect(OnDisconnect::Skip)
///     .statuses(Statuses::Success);
/// let rocket = rocket::build().attach(fairing);
/// # let _ = rocket;
/// # });
/// ```
#[must_use = "a fairing does nothing until it is attached (`Rocket::attach`)"]
pub struct BackgroundTasksFairing<E> {
    runner: Runner<E>,
    settings: Settings,
    // Built from the two above when the first request arrives.
    dispatch: OnceLock<Arc<dyn Dispatch>>,
}

impl<E: Executor> BackgroundTasksFairing<E> {
    /// A fairing that runs queues on `executor` with the default failure policy (stop at the
    /// first failed task) and error hook (a `tracing` error event per failed task).
    pub fn new(executor: E) -> Self {
        Self::with_runner(Runner::new(executor))
    }

    /// A fairing that runs queues with `runner`, its policy and its error hook.
    pub fn with_runner(runner: Runner<E>) -> Self {
        Self {
            runner,
            settings: Settings::default(),
            dispatch: OnceLock::new(),
        }
    }
}

impl<E> BackgroundTasksFairing<E> {
    /// Sets what happens to the tasks when the client goes away before the response ends (default:
    /// [`OnDisconnect::Run`]).
    pub fn on_disconnect(mut self, on_disconnect: OnDisconnect) -> Self {
        self.settings = self.settings.with_on_disconnect(on_disconnect);
        self
    }

    /// Sets which response statuses run tasks (default: [`Statuses::All`]).
    pub fn statuses(mut self, statuses: Statuses) -> Self {
        self.settings = self.settings.with_statuses(statuses);
        self
    }

    /// Sets a hook that receives a [`RequestReport`] for every request that queued at least one
    /// task, replacing the default `tracing` events.
    ///
    /// It is called after the run when the tasks ran (on the executor), and as soon as the
    /// fairing decides not to run them otherwise. Keep it short; a panic inside it is caught and
    /// logged.
    pub fn on_report<F>(mut self, hook: F) -> Self
    where
        F: Fn(RequestReport) + Send + Sync + 'static,
    {
        self.settings = self.settings.with_on_report(hook);
        self
    }

    /// The runner queues run with: keep a clone to [`shutdown`](Runner::shutdown) it once
    /// Rocket has stopped (or use [`run`](crate::run)).
    pub fn runner(&self) -> &Runner<E> {
        &self.runner
    }
}

impl<E: Executor + Clone> BackgroundTasksFairing<E> {
    fn dispatch(&self) -> Arc<dyn Dispatch> {
        Arc::clone(
            self.dispatch.get_or_init(|| {
                Arc::new(Dispatcher::new(self.runner.clone(), self.settings.clone()))
            }),
        )
    }
}

impl<E: fmt::Debug> fmt::Debug for BackgroundTasksFairing<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackgroundTasksFairing")
            .field("runner", &self.runner)
            .field("on_disconnect", &self.settings.on_disconnect())
            .field("statuses", &self.settings.statuses())
            .field("custom_report_hook", &self.settings.has_report_hook())
            .finish()
    }
}

/// The request's tasks between `on_request` and `on_response`, in its local cache (without their
/// scope, which the request guard reaches in a [`SharedScope`] meanwhile).
#[derive(Default)]
struct Pending(Mutex<Option<RequestTasks>>);

impl Pending {
    fn take(&self) -> Option<RequestTasks> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take()
    }
}

#[rocket::async_trait]
impl<E: Executor + Clone + 'static> Fairing for BackgroundTasksFairing<E> {
    fn info(&self) -> Info {
        Info {
            name: "background tasks",
            kind: Kind::Request | Kind::Response,
        }
    }

    async fn on_request(&self, request: &mut Request<'_>, _data: &mut Data<'_>) {
        let mut tasks = RequestTasks::new(
            self.dispatch(),
            // Rocket's methods are all valid tokens.
            http::Method::from_bytes(request.method().as_str().as_bytes()).unwrap_or_default(),
            request.uri().path().as_str(),
            tracing::Span::current(),
        );
        // The scope waits in the request's cache for the guards; the tasks, for the response.
        let scope = std::mem::take(tasks.scope_mut());
        request.local_cache(|| SharedScope::new(scope));
        request.local_cache(|| Pending(Mutex::new(Some(tasks))));
    }

    async fn on_response<'r>(&self, request: &'r Request<'_>, response: &mut Response<'r>) {
        let Some(mut tasks) = request.local_cache(Pending::default).take() else {
            return;
        };
        *tasks.scope_mut() = request
            .local_cache(SharedScope::default)
            .take()
            .unwrap_or_default();
        let status = http::StatusCode::from_u16(response.status().code)
            .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
        // Rocket's own size: preset, or found by seeking (a file).
        let size = response.body_mut().size().await;
        let declared = size.map(|size| size as u64).or_else(|| {
            response
                .headers()
                .get_one("Content-Length")
                .and_then(|length| length.parse().ok())
        });
        let max_chunk = response.body().max_chunk_size();
        let body = ResponseBody::new(response.body_mut().take(), status, declared, tasks);
        match size {
            Some(size) => response.set_sized_body(size, body),
            None => response.set_streamed_body(body),
        }
        response.set_max_chunk_size(max_chunk);
    }
}
