//! [`BodyEnd`]: what a response body wrapper of any framework does around its body's polls and at
//! its drop; [`declared_length`]: the bytes a response declares in its headers.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::pin::Pin;
use std::task::Poll;

use http::HeaderMap;

use crate::end::{ResponseEnd, Sent};

/// The second half of the trigger: a response body's end, as its wrapper sees it. The wrapper
/// (a `http_body::Body`, an actix-web `MessageBody`, a Rocket reader) holds one and polls its
/// body through [`poll_next`](Self::poll_next); the rest is done here, the same for every
/// framework:
///
/// - each poll runs inside the request's scope (a body that streams from the handler's work may
///   still queue tasks), and a panic in it counts as a failed body;
/// - each chunk or frame is counted against the bytes the response declared ([`ResponseEnd`]);
/// - the body saying it has no more runs (or discards) the queue at once, rather than at the drop;
/// - dropped before that, the request ends by how far the body had gone: completed if it was over
///   by the server's count, failed if it failed, cut short otherwise
///   ([`ResponseEnd::finish_at_drop`]).
///
/// # Examples
///
/// A body that yields two chunks, polled to its end (with a status that runs no tasks, so that the
/// report comes at once, not after a run on the executor):
///
/// ```
/// use std::pin::Pin;
/// use std::sync::Arc;
/// use std::task::Poll;
///
/// use background_tasks::{BackgroundTasks, Runner};
/// use background_tasks_http::{
///     BodyEnd, Decision, Dispatcher, Ending, RequestTasks, ResponseEnd, Sent, Settings, Statuses,
/// };
/// use http::{Method, StatusCode};
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
/// let settings = Settings::default()
///     .with_statuses(Statuses::Matching(|_| false))
///     .with_on_report(move |report| reports.send(report).unwrap());
/// let dispatch = Arc::new(Dispatcher::new(Runner::new(MyExecutor), settings));
/// let mut tasks = RequestTasks::new(dispatch, Method::GET, "/", tracing::Span::current());
/// tasks.scope_mut().enter(|| BackgroundTasks::current().unwrap().add_task(|| ()));
///
/// let mut chunks = vec!["world", "hello "];
/// let mut end = BodyEnd::new(Some(ResponseEnd::new(tasks, StatusCode::OK, Some(11))));
/// loop {
///     let poll = end.poll_next(
///         Pin::new(&mut chunks),
///         |chunks| Poll::Ready(chunks.get_mut().pop().map(Ok::<_, ()>)),
///         |_, chunk| Sent::Data(chunk.len()),
///     );
///     if let Poll::Ready(None) = poll {
///         break;
///     }
/// }
/// // Finished at the end, not at the drop: `end` is still alive.
/// let report = received.try_recv().unwrap();
/// assert_eq!(report.ending(), Ending::Completed);
/// assert_eq!(report.decision(), Decision::SkippedForStatus);
/// ```
pub struct BodyEnd {
    stage: Stage,
}

enum Stage {
    /// The body is being sent, and carries the request's queue.
    Sending(ResponseEnd),
    /// No queue rides on the body, or the request has been finished.
    Over,
}

impl BodyEnd {
    /// The end of a body that carries `end`'s request (`None`: a body that carries no queue).
    pub fn new(end: Option<ResponseEnd>) -> Self {
        Self {
            stage: end.map_or(Stage::Over, Stage::Sending),
        }
    }

    /// Polls `body` once with `poll` (its `poll_frame`, `poll_next`, or a read, as
    /// `Option<Result<chunk, error>>` with `None` for the end) inside the request's scope, and
    /// notes what it gave: `sent` says what a chunk counts for (it may look at the body, for
    /// `is_end_stream`). At the end (`Ready(None)`) the request is finished here. The poll is
    /// handed back unchanged.
    pub fn poll_next<B: ?Sized, T, E>(
        &mut self,
        mut body: Pin<&mut B>,
        poll: impl FnOnce(Pin<&mut B>) -> Poll<Option<Result<T, E>>>,
        sent: impl FnOnce(&B, &T) -> Sent,
    ) -> Poll<Option<Result<T, E>>> {
        let Stage::Sending(end) = &mut self.stage else {
            return poll(body);
        };
        // A body that streams from the handler's work may still queue tasks.
        let scope = end.tasks_mut().scope_mut();
        let polled = match catch_unwind(AssertUnwindSafe(|| scope.enter(|| poll(body.as_mut())))) {
            Ok(polled) => polled,
            Err(panic) => {
                end.failed();
                resume_unwind(panic)
            }
        };
        match &polled {
            Poll::Pending => {}
            Poll::Ready(Some(Ok(chunk))) => end.sent(sent(body.as_ref().get_ref(), chunk)),
            Poll::Ready(Some(Err(_))) => end.failed(),
            // Every chunk has been handed to the server: start now rather than wait for the drop.
            Poll::Ready(None) => {
                if let Stage::Sending(end) = self.take() {
                    end.finish_at_end();
                }
            }
        }
        polled
    }

    fn take(&mut self) -> Stage {
        std::mem::replace(&mut self.stage, Stage::Over)
    }
}

impl Drop for BodyEnd {
    fn drop(&mut self) {
        if let Stage::Sending(end) = self.take() {
            end.finish_at_drop();
        }
    }
}

impl fmt::Debug for BodyEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.stage {
            Stage::Sending(end) => f.debug_tuple("Sending").field(end).finish(),
            Stage::Over => f.write_str("Over"),
        }
    }
}

/// The response's `Content-Length`, when it has a valid one: the bytes its body declares.
///
/// # Examples
///
/// ```
/// use background_tasks_http::declared_length;
/// use http::{HeaderMap, HeaderValue, header::CONTENT_LENGTH};
///
/// let mut headers = HeaderMap::new();
/// assert_eq!(declared_length(&headers), None);
/// headers.insert(CONTENT_LENGTH, HeaderValue::from_static("42"));
/// assert_eq!(declared_length(&headers), Some(42));
/// ```
pub fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(http::header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}
