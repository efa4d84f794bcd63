//! [`BackgroundTasksLayer`]: the tower layer, with the settings every framework's integration
//! shares.

use background_tasks::Executor;
use tower_layer::Layer;

use background_tasks_http::Integration;

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
/// - [`on_report`](Self::on_report): a hook receiving a [`RequestReport`](crate::RequestReport)
///   per request that queued tasks (default: log what did not succeed as `tracing` events).
///
/// The failure policy and the per-task error hook come from the
/// [`Runner`](background_tasks::Runner) given to
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
/// let (reports, received) = std::sync::mpsc::channel();
/// let runner = Runner::new(MyExecutor).failure_policy(FailurePolicy::ContinueOnError);
/// let layer = BackgroundTasksLayer::with_runner(runner)
///     .on_disconnect(OnDisconnect::Skip)
///     .statuses(Statuses::Success)
///     .on_report(move |report| {
///         let _ = reports.send(report);
///     });
/// # let _ = (layer, received);
/// ```
#[must_use = "a layer does nothing until it wraps a service (`Router::layer`, `ServiceBuilder::layer`)"]
pub struct BackgroundTasksLayer<E> {
    integration: Integration<E>,
}

// `new`, `with_runner`, the settings' builder methods, `runner`: the same for every framework.
background_tasks_http::integration_builder!(BackgroundTasksLayer, "layer");

impl<S, E: Executor + Clone> Layer<S> for BackgroundTasksLayer<E> {
    type Service = BackgroundTasksService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        BackgroundTasksService::from_parts(inner, self.integration.dispatch())
    }
}
