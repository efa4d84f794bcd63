//! [`BackgroundTasksMiddleware`]: the poem middleware and its settings.

use std::fmt;
use std::sync::Arc;

use background_tasks::{Executor, Runner};
use background_tasks_http::{Dispatcher, OnDisconnect, RequestReport, Settings, Statuses};
use poem::{Endpoint, Middleware};

use crate::endpoint::BackgroundTasksEndpoint;

/// A poem [`Middleware`] that gives every request a fresh
/// [`BackgroundTasks`](background_tasks::BackgroundTasks) queue and runs it on `E` once the
/// response body has been sent.
///
/// While the endpoint (and every extractor) works on the request, the queue is
/// [`BackgroundTasks::current`](background_tasks::BackgroundTasks::current), and
/// `BackgroundTasks` is an extractor that hands it out; it is created only when something asks for
/// it, so a request that queues nothing allocates nothing. When the response body reaches its end
/// the queue is handed to [`Executor::spawn`] as a task of its own, so neither the response nor
/// the connection waits for it.
///
/// The settings are those of tower's `BackgroundTasksLayer` and actix-web's middleware, with the
/// same defaults: [`on_disconnect`](Self::on_disconnect), [`statuses`](Self::statuses),
/// [`on_report`](Self::on_report); the failure policy and error hook come from the [`Runner`].
///
/// # Examples
///
/// ```
/// use background_tasks::{FailurePolicy, Runner};
/// use background_tasks_poem::{BackgroundTasksMiddleware, OnDisconnect, Statuses};
/// use background_tasks_tokio::TokioExecutor;
/// use poem::{EndpointExt, Route};
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let runner = Runner::new(TokioExecutor::new()).policy(FailurePolicy::ContinueOnError);
/// let middleware = BackgroundTasksMiddleware::with_runner(runner)
///     .on_disconnect(OnDisconnect::Skip)
///     .statuses(Statuses::Success);
/// let app = Route::new().with(middleware);
/// # let _ = app;
/// # });
/// ```
#[must_use = "a middleware does nothing until it wraps an endpoint (`EndpointExt::with`)"]
pub struct BackgroundTasksMiddleware<E> {
    runner: Runner<E>,
    settings: Settings,
}

impl<E: Executor> BackgroundTasksMiddleware<E> {
    /// A middleware that runs queues on `executor` with the default failure policy (stop at the
    /// first failed task) and error hook (a `tracing` error event per failed task).
    pub fn new(executor: E) -> Self {
        Self::with_runner(Runner::new(executor))
    }

    /// A middleware that runs queues with `runner`, its policy and its error hook.
    pub fn with_runner(runner: Runner<E>) -> Self {
        Self {
            runner,
            settings: Settings::default(),
        }
    }
}

impl<E> BackgroundTasksMiddleware<E> {
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
    /// middleware decides not to run them otherwise (on the connection's task). Keep it short; a
    /// panic inside it is caught and logged.
    pub fn on_report<F>(mut self, hook: F) -> Self
    where
        F: Fn(RequestReport) + Send + Sync + 'static,
    {
        self.settings = self.settings.with_on_report(hook);
        self
    }

    /// The runner queues run with: keep a clone to [`shutdown`](Runner::shutdown) it once the
    /// server has stopped (or use [`run`](crate::run)).
    pub fn runner(&self) -> &Runner<E> {
        &self.runner
    }
}

impl<E: Clone> Clone for BackgroundTasksMiddleware<E> {
    fn clone(&self) -> Self {
        Self {
            runner: self.runner.clone(),
            settings: self.settings.clone(),
        }
    }
}

impl<E: fmt::Debug> fmt::Debug for BackgroundTasksMiddleware<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackgroundTasksMiddleware")
            .field("runner", &self.runner)
            .field("on_disconnect", &self.settings.on_disconnect())
            .field("statuses", &self.settings.statuses())
            .field("custom_report_hook", &self.settings.has_report_hook())
            .finish()
    }
}

impl<Ep, E> Middleware<Ep> for BackgroundTasksMiddleware<E>
where
    Ep: Endpoint,
    E: Executor + Clone,
{
    type Output = BackgroundTasksEndpoint<Ep>;

    fn transform(&self, endpoint: Ep) -> Self::Output {
        let dispatch = Arc::new(Dispatcher::new(self.runner.clone(), self.settings.clone()));
        BackgroundTasksEndpoint::new(endpoint, dispatch)
    }
}
