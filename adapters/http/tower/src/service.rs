//! [`BackgroundTasksService`]: the service [`BackgroundTasksLayer`](crate::BackgroundTasksLayer)
//! wraps around yours.

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use http_body::Body;
use tower_service::Service;

use background_tasks_http::{Dispatch, RequestTasks, ResponseBody};

use crate::ResponseFuture;

/// Gives every request its own [`BackgroundTasks`](background_tasks::BackgroundTasks) queue, calls the inner service, and runs the
/// queue once the response body has ended.
///
/// The queue is
/// [`BackgroundTasks::current`](background_tasks::BackgroundTasks::current) while the inner service works on the request (its
/// `call`, its future, its response body), and is created only when something asks for it, so a
/// request that queues nothing costs no allocation. Built by
/// [`BackgroundTasksLayer`](crate::BackgroundTasksLayer); see there for the settings.
///
/// Installed twice, the inner layer's queue is the current one inside it, and it runs it.
///
/// # Examples
///
/// ```
/// use background_tasks::BackgroundTasks;
/// use background_tasks_tower::BackgroundTasksLayer;
/// use tower_layer::Layer;
/// use tower_service::Service;
/// # use background_tasks::{BlockingError, BlockingJob, BoxFuture, Executor};
/// # #[derive(Debug, Clone)] struct MyExecutor;
/// # impl Executor for MyExecutor {
/// #     fn spawn(&self, _: BoxFuture<()>) {}
/// #     fn spawn_blocking(&self, _: BlockingJob) -> BoxFuture<Result<(), BlockingError>> {
/// #         Box::pin(async { Ok(()) })
/// #     }
/// # }
/// # #[derive(Clone)] struct Handler;
/// # impl Service<http::Request<String>> for Handler {
/// #     type Response = http::Response<String>;
/// #     type Error = std::convert::Infallible;
/// #     type Future = std::future::Ready<Result<Self::Response, Self::Error>>;
/// #     fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
/// #         std::task::Poll::Ready(Ok(()))
/// #     }
/// #     fn call(&mut self, request: http::Request<String>) -> Self::Future {
/// #         // A handler reaches its request's queue while the layer runs it.
/// #         let tasks = BackgroundTasks::current().unwrap();
/// #         let _ = request;
/// #         tasks.add_task(|| println!("after the response"));
/// #         std::future::ready(Ok(http::Response::new("done".to_owned())))
/// #     }
/// # }
///
/// let mut service = BackgroundTasksLayer::new(MyExecutor).layer(Handler);
/// let response = service.call(http::Request::new(String::new()));
/// # let _ = response;
/// ```
pub struct BackgroundTasksService<S> {
    inner: S,
    dispatch: Arc<dyn Dispatch>,
}

impl<S> BackgroundTasksService<S> {
    pub(crate) fn from_parts(inner: S, dispatch: Arc<dyn Dispatch>) -> Self {
        Self { inner, dispatch }
    }

    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The wrapped service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Unwraps the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for BackgroundTasksService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: Body,
{
    type Response = Response<ResponseBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let tasks = RequestTasks::new(
            Arc::clone(&self.dispatch),
            request.method().clone(),
            request.uri().path(),
            tracing::Span::current(),
        );
        // A service doing its work in `call` (a plain `service_fn` closure) reaches the queue here,
        // one doing it in its future when that is polled. A service that panics in `call` may
        // have queued tasks already.
        let inner = &mut self.inner;
        ResponseFuture::call(tasks, || inner.call(request))
    }
}

impl<S: Clone> Clone for BackgroundTasksService<S> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            dispatch: Arc::clone(&self.dispatch),
        }
    }
}

impl<S: fmt::Debug> fmt::Debug for BackgroundTasksService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackgroundTasksService")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}
