//! [`BackgroundTasksMiddleware`]: the actix-web middleware, with the settings every framework's
//! integration shares.

use std::future::{Ready, ready};

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use background_tasks::Executor;
use background_tasks_http::Integration;

use crate::body::ResponseBody;
use crate::service::BackgroundTasksService;

/// An actix-web middleware ([`Transform`]) that gives every request a fresh
/// [`BackgroundTasks`](background_tasks::BackgroundTasks) queue and runs it on `E` once the
/// response body has been sent.
///
/// While the handler (and every extractor) works on the request, the queue is
/// [`BackgroundTasks::current`](background_tasks::BackgroundTasks::current), and
/// `BackgroundTasks` is an extractor that hands it out; it is created only when something asks for
/// it, so a request that queues nothing allocates nothing. When the response body reaches its end
/// the queue is handed to [`Executor::spawn`] as a task of its own, so neither the response nor
/// the connection waits for it.
///
/// The settings are those of tower's `BackgroundTasksLayer`, with the same defaults:
/// [`on_disconnect`](Self::on_disconnect), [`statuses`](Self::statuses),
/// [`on_report`](Self::on_report); the failure policy and error hook come from the
/// [`Runner`](background_tasks::Runner).
///
/// `E` must outlive actix's workers: each worker has a single-threaded runtime of its own that is
/// stopped with it, so run tasks on a runtime the application owns (`TokioExecutor::from_handle`)
/// and drain it after the server stops (see [`run`](crate::run)).
///
/// # Examples
///
/// ```
/// use background_tasks::{FailurePolicy, Runner};
/// use background_tasks_actix::{BackgroundTasksMiddleware, OnDisconnect, Statuses};
/// use background_tasks_tokio::TokioExecutor;
///
/// let tasks_runtime = tokio::runtime::Runtime::new().unwrap();
/// let runner = Runner::new(TokioExecutor::from_handle(tasks_runtime.handle().clone()))
///     .failure_policy(FailurePolicy::ContinueOnError);
/// let middleware = BackgroundTasksMiddleware::with_runner(runner)
///     .on_disconnect(OnDisconnect::Skip)
///     .statuses(Statuses::Success);
/// let app = actix_web::App::new().wrap(middleware);
/// # let _ = app;
/// ```
#[must_use = "a middleware does nothing until it wraps an app or scope (`App::wrap`)"]
pub struct BackgroundTasksMiddleware<E> {
    integration: Integration<E>,
}

// `new`, `with_runner`, the settings' builder methods, `runner`: the same for every framework.
background_tasks_http::integration_builder!(BackgroundTasksMiddleware, "middleware");

impl<S, B, E> Transform<S, ServiceRequest> for BackgroundTasksMiddleware<E>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
    E: Executor + Clone,
{
    type Response = ServiceResponse<ResponseBody<B>>;
    type Error = actix_web::Error;
    type Transform = BackgroundTasksService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(BackgroundTasksService::new(
            service,
            self.integration.dispatch(),
        )))
    }
}
