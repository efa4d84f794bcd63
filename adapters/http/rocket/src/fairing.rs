//! [`BackgroundTasksFairing`]: the Rocket fairing, with the settings every framework's
//! integration shares.

use std::sync::Mutex;

use background_tasks::Executor;
use background_tasks::integration::SharedScope;
use background_tasks_http::{Integration, RequestTasks};
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
/// [`on_report`](Self::on_report); the failure policy and error hook come from the
/// [`Runner`](background_tasks::Runner).
///
/// # Examples
///
/// ```
/// use background_tasks::{FailurePolicy, Runner};
/// use background_tasks_rocket::{BackgroundTasksFairing, OnDisconnect, Statuses};
/// use background_tasks_tokio::TokioExecutor;
///
/// # rocket::tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let runner = Runner::new(TokioExecutor::new()).failure_policy(FailurePolicy::ContinueOnError);
/// let fairing = BackgroundTasksFairing::with_runner(runner)
///     .on_disconnect(OnDisconnect::Skip)
///     .statuses(Statuses::Success);
/// let rocket = rocket::build().attach(fairing);
/// # let _ = rocket;
/// # });
/// ```
#[must_use = "a fairing does nothing until it is attached (`Rocket::attach`)"]
pub struct BackgroundTasksFairing<E> {
    integration: Integration<E>,
}

// `new`, `with_runner`, the settings' builder methods, `runner`: the same for every framework.
background_tasks_http::integration_builder!(BackgroundTasksFairing, "fairing");

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
            self.integration.dispatch(),
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
