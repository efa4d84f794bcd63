//! [`BackgroundTasksLayer`] and its settings: [`OnDisconnect`], [`Statuses`].

use std::fmt;
use std::sync::Arc;

use background_tasks::{Executor, Runner};
use tower_layer::Layer;

use background_tasks_http::{Dispatcher, OnDisconnect, RequestReport, Settings, Statuses};

use crate::service::BackgroundTasksService;

/// A tower [`Layer`] that gives every request a fresh
/// [`BackgroundTasks`](background_tasks::BackgroundTasks) queue and runs it on `E` once the
/// response body has been sent.
///
/// While the inner service works on the request, the queue is
/// [`BackgroundTasks::current`](background_tasks::BackgroundTasks::current) (with the `axum`
/// feature, `BackgroundTasks` is an extractor that hands it out); it is created only when
/// something asks for it, so a request that queues nothing allocates nothing. When the response body reaches its end the queue is handed to
/// [`Executor::spawn`] as a task of its own, so neither the response nor the connection waits for
/// it.
///
/// Settings:
/// - [`on_disconnect`](Self::on_disconnect): run or skip the tasks when the client goes away
///   before the body ends (default: run them).
/// - [`statuses`](Self::statuses): which response statuses run tasks (default: all).
/// - [`on_report`](Self::on_report): a hook receiving a [`RequestReport`] per request that queued
///   tasks (default: log what did not succeed as `tracing` events).
///
/// The failure policy and the per-task error hook come from the [`Runner`] given to
/// [`with_runner`](Self::with_runner).
///
/// # Examples
///
/// ```
/// use background_tasks::{FailurePolicy, Runner};
/// use background_tasks_tower::{BackgroundTasksLayer, OnDisconnect, Statuses};
/// # use background_tasks::{BlockingError, BlockingJob, BoxFuture, Executor};
/// # #[derive(Debug, Clone)] struct MyExecutor;
/// # impl Executor for MyExecutor {
/// #     fn spawn(&self, _: BoxFuture<()>) {}
/// #     fn spawn_blocking(&self, _: BlockingJob) -> BoxFuture<Result<(), BlockingError>> {
/// #         Box::pin(async { Ok(()) })
/// #     }
/// # }
///
/// let runner = Runner::new(MyExecutor).policy(FailurePolicy::ContinueOnError);
/// let layer = BackgroundTasksLayer::with_runner(runner)
///     .on_disconnect(OnDisconnect::Skip)
///     .statuses(Statuses::Success);
/// # let _ = layer;
/// ```
#[must_use = "a layer does nothing until it wraps a service (`Router::layer`, `ServiceBuilder::layer`)"]
pub struct BackgroundTasksLayer<E> {
    runner: Runner<E>,
    settings: Settings,
}

impl<E: Executor> BackgroundTasksLayer<E> {
    /// A layer that runs queues on `executor` with the default failure policy (stop at the first
    /// failed task) and error hook (a `tracing` error event per failed task).
    pub fn new(executor: E) -> Self {
        Self::with_runner(Runner::new(executor))
    }

    /// A layer that runs queues with `runner`, its policy and its error hook.
    pub fn with_runner(runner: Runner<E>) -> Self {
        Self {
            runner,
            settings: Settings::default(),
        }
    }
}

impl<E> BackgroundTasksLayer<E> {
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
    /// It is called after the run when the tasks ran (on the executor, in the run's own task), and
    /// as soon as the layer decides not to run them otherwise (on the thread that served the
    /// request). Keep it short; a panic inside it is caught and logged.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::mpsc;
    /// use background_tasks_tower::BackgroundTasksLayer;
    /// # use background_tasks::{BlockingError, BlockingJob, BoxFuture, Executor};
    /// # #[derive(Debug, Clone)] struct MyExecutor;
    /// # impl Executor for MyExecutor {
    /// #     fn spawn(&self, _: BoxFuture<()>) {}
    /// #     fn spawn_blocking(&self, _: BlockingJob) -> BoxFuture<Result<(), BlockingError>> {
    /// #         Box::pin(async { Ok(()) })
    /// #     }
    /// # }
    ///
    /// let (reports, received) = mpsc::channel();
    /// let layer = BackgroundTasksLayer::new(MyExecutor).on_report(move |report| {
    ///     let _ = reports.send(report);
    /// });
    /// # let _ = (layer, received);
    /// ```
    pub fn on_report<F>(mut self, hook: F) -> Self
    where
        F: Fn(RequestReport) + Send + Sync + 'static,
    {
        self.settings = self.settings.with_on_report(hook);
        self
    }

    /// The runner queues run with.
    pub fn runner(&self) -> &Runner<E> {
        &self.runner
    }
}

impl<E> From<Runner<E>> for BackgroundTasksLayer<E> {
    fn from(runner: Runner<E>) -> Self {
        Self {
            runner,
            settings: Settings::default(),
        }
    }
}

impl<E: Clone> Clone for BackgroundTasksLayer<E> {
    fn clone(&self) -> Self {
        Self {
            runner: self.runner.clone(),
            settings: self.settings.clone(),
        }
    }
}

impl<E: fmt::Debug> fmt::Debug for BackgroundTasksLayer<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackgroundTasksLayer")
            .field("runner", &self.runner)
            .field("on_disconnect", &self.settings.on_disconnect())
            .field("statuses", &self.settings.statuses())
            .field("custom_report_hook", &self.settings.has_report_hook())
            .finish()
    }
}

impl<S, E: Executor + Clone> Layer<S> for BackgroundTasksLayer<E> {
    type Service = BackgroundTasksService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        let dispatch = Arc::new(Dispatcher::new(self.runner.clone(), self.settings.clone()));
        BackgroundTasksService::from_parts(inner, dispatch)
    }
}
