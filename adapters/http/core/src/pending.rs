//! [`PendingResponse`]: a request whose handler has not answered yet, as every framework's
//! [`ResponseFuture`](crate::ResponseFuture) (or Rocket's fairing, between request and response)
//! holds it.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

use crate::report::Ending;
use crate::request::RequestTasks;

/// The first half of the trigger: a request's queue while its handler works, until the handler
/// answers (the queue then rides on the response body, in a [`BodyEnd`](crate::BodyEnd)) or the
/// request ends without an answer.
///
/// Every call into the handler (its service's `call`, each poll of its future) goes through
/// [`in_scope`](Self::in_scope): the handler reaches the request's queue there, and a panic ends
/// the request as [`Ending::Panicked`]. A handler that fails without a response ends it as
/// [`Ending::Failed`] ([`failed`](Self::failed)). Dropped before any of these, the request was
/// cancelled (the server drops the handler when the client goes away), or failed if the drop
/// happens while unwinding from a panic: the guard finishes the request itself, so no framework
/// has to remember to.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
///
/// use background_tasks::{BackgroundTasks, Runner};
/// use background_tasks_http::{Dispatcher, Ending, OnDisconnect, PendingResponse, RequestTasks, Settings};
/// use http::Method;
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
/// // Skipped on a disconnect: the report comes at once, not after a run on the executor.
/// let settings = Settings::default()
///     .with_on_disconnect(OnDisconnect::Skip)
///     .with_on_report(move |report| reports.send(report).unwrap());
/// let dispatch = Arc::new(Dispatcher::new(Runner::new(MyExecutor), settings));
///
/// let tasks = RequestTasks::new(dispatch, Method::GET, "/", tracing::Span::current());
/// let mut pending = PendingResponse::new(tasks);
/// pending.in_scope(|| BackgroundTasks::current().unwrap().add_task(|| ()));
/// // The server gives up on the request before the handler answers.
/// drop(pending);
///
/// assert_eq!(received.recv().unwrap().ending(), Ending::Cancelled);
/// ```
pub struct PendingResponse {
    stage: Stage,
}

enum Stage {
    /// The handler is working on the request; its queue waits for the response.
    Waiting(RequestTasks),
    /// The queue went on with the response's body, or the request ended without a response.
    Over,
}

impl PendingResponse {
    /// A request whose handler is about to be called.
    pub fn new(tasks: RequestTasks) -> Self {
        Self {
            stage: Stage::Waiting(tasks),
        }
    }

    /// Runs `handler` (a call into the handler: its service's `call`, a poll of its future, the
    /// conversion of its output into a response) inside the request's scope, so that it reaches
    /// the request's queue. If it panics, the request ends as panicked (its queue discarded and
    /// reported) and the panic goes on: whatever catches it further up, the tasks do not run.
    /// Zero cost unless it panics.
    pub fn in_scope<R>(&mut self, handler: impl FnOnce() -> R) -> R {
        let ran = catch_unwind(AssertUnwindSafe(|| match &mut self.stage {
            Stage::Waiting(tasks) => tasks.scope_mut().enter(handler),
            Stage::Over => handler(),
        }));
        ran.unwrap_or_else(|panic| {
            if let Some(tasks) = self.take() {
                tasks.finish(None, Ending::Panicked);
            }
            resume_unwind(panic)
        })
    }

    /// The handler answered `output`: a response comes back with the request's tasks, for its
    /// body to carry ([`BodyEnd`](crate::BodyEnd)); an error ends the request as
    /// [`Ending::Failed`] and comes back as it is.
    pub fn answer<T, E>(&mut self, output: Result<T, E>) -> Result<(T, Option<RequestTasks>), E> {
        match output {
            Ok(response) => Ok((response, self.answered())),
            Err(error) => {
                self.failed();
                Err(error)
            }
        }
    }

    /// Whether something asked for the request's queue (the handler, an extractor).
    pub fn has_queue(&mut self) -> bool {
        match &mut self.stage {
            Stage::Waiting(tasks) => tasks.scope_mut().tasks().is_some(),
            Stage::Over => false,
        }
    }

    /// The handler answered: the request's tasks, for the response body to carry. `None` when the
    /// request has already ended.
    pub fn answered(&mut self) -> Option<RequestTasks> {
        self.take()
    }

    /// The handler failed without a response (its service returned `Err`): discards the queue and
    /// reports it.
    pub fn failed(&mut self) {
        if let Some(tasks) = self.take() {
            tasks.finish(None, Ending::Failed);
        }
    }

    fn take(&mut self) -> Option<RequestTasks> {
        match std::mem::replace(&mut self.stage, Stage::Over) {
            Stage::Waiting(tasks) => Some(tasks),
            Stage::Over => None,
        }
    }
}

impl Drop for PendingResponse {
    /// Dropped before an answer: unwinding through the drop means something panicked and nothing
    /// caught it before (the request failed); otherwise the server cancelled the handler, as it
    /// does when the client goes away.
    fn drop(&mut self) {
        if let Some(tasks) = self.take() {
            let ending = if std::thread::panicking() {
                Ending::Panicked
            } else {
                Ending::Cancelled
            };
            tasks.finish(None, ending);
        }
    }
}

impl fmt::Debug for PendingResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.stage {
            Stage::Waiting(tasks) => f.debug_tuple("Waiting").field(tasks).finish(),
            Stage::Over => f.write_str("Over"),
        }
    }
}
