//! [`BackgroundTasksMiddleware`]: the poem middleware, with the settings every framework's
//! integration shares.

use background_tasks::Executor;
use background_tasks_http::Integration;
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
/// [`on_report`](Self::on_report); the failure policy and error hook come from the
/// [`Runner`](background_tasks::Runner).
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
/// let runner = Runner::new(TokioExecutor::new()).failure_policy(FailurePolicy::ContinueOnError);
/// let middleware = BackgroundTasksMiddleware::with_runner(runner)
///     .on_disconnect(OnDisconnect::Skip)
///     .statuses(Statuses::Success);
/// let app = Route::new().with(middleware);
/// # let _ = app;
/// # });
/// ```
#[must_use = "a middleware does nothing until it wraps an endpoint (`EndpointExt::with`)"]
pub struct BackgroundTasksMiddleware<E> {
    integration: Integration<E>,
}

// `new`, `with_runner`, the settings' builder methods, `runner`: the same for every framework.
background_tasks_http::integration_builder!(BackgroundTasksMiddleware, "middleware");

impl<Ep, E> Middleware<Ep> for BackgroundTasksMiddleware<E>
where
    Ep: Endpoint,
    E: Executor + Clone,
{
    type Output = BackgroundTasksEndpoint<Ep>;

    fn transform(&self, endpoint: Ep) -> Self::Output {
        BackgroundTasksEndpoint::new(endpoint, self.integration.dispatch())
    }
}
