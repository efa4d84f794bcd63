//! [`ResponseEnd`]: how far a response body has gone, and how it ended, for a body wrapper of any
//! framework; [`Sent`]: what one chunk or frame handed to the server counts for.

use http::StatusCode;

use crate::report::Ending;
use crate::request::RequestTasks;

/// What a response body wrapper tracks between the handler's response and the body's end: the
/// request's queue, the response's status, and the bytes the response still owes by its declared
/// length. The wrapper tells it what the server was handed ([`sent`](Self::sent),
/// [`failed`](Self::failed)); it decides how the response ended when the body says it is over
/// ([`finish_at_end`](Self::finish_at_end)) or is dropped ([`finish_at_drop`](Self::finish_at_drop)).
/// A [`BodyEnd`](crate::BodyEnd) does all of this around a body's polls; this is its bookkeeping.
///
/// The rule, the same for every server: a body is over when it says so, or when the bytes it
/// declared (its `Content-Length`) have been handed over, since servers stop polling a body then
/// and drop it (a file download); a response that sends no body on the wire (to `HEAD`, or a
/// `1xx`, `204` or `304`) is over as soon as the server drops it. A body that ends owing declared
/// bytes, or is dropped before it is over, was cut short.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
///
/// use background_tasks::{BackgroundTasks, Runner};
/// use background_tasks_http::{Dispatcher, RequestTasks, ResponseEnd, Sent, Settings};
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
/// let dispatch = Arc::new(Dispatcher::new(Runner::new(MyExecutor), Settings::default()));
/// let tasks = RequestTasks::new(dispatch, Method::GET, "/download", tracing::Span::current());
/// let mut end = ResponseEnd::new(tasks, StatusCode::OK, Some(10));
/// end.sent(Sent::Data(4));
/// assert!(!end.is_over());
/// end.sent(Sent::Data(6));
/// assert!(end.is_over(), "every declared byte was handed over");
/// end.finish_at_drop(); // completed: the queue runs
/// ```
#[derive(Debug)]
pub struct ResponseEnd {
    tasks: RequestTasks,
    status: StatusCode,
    progress: Progress,
    // Data bytes the response still owes by its declared length; `None` when none is declared.
    owed: Option<u64>,
}

/// How far the body has gone, as the wrapper has seen it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Progress {
    Sending,
    /// Over by the server's count: the body said so, or the declared length was reached.
    Sent,
    /// The body returned an error or panicked.
    Failed,
}

impl ResponseEnd {
    /// A response with `status` whose body declares `declared` data bytes (its `Content-Length`,
    /// or an exact size), if any.
    pub fn new(tasks: RequestTasks, status: StatusCode, declared: Option<u64>) -> Self {
        let mut end = Self {
            tasks,
            status,
            progress: Progress::Sending,
            owed: declared,
        };
        // A response that declares no bytes is over before its first poll.
        end.sent(Sent::Data(0));
        end
    }

    /// The request's tasks, to enter their scope around a poll of the body.
    pub fn tasks_mut(&mut self) -> &mut RequestTasks {
        &mut self.tasks
    }

    /// Counts what the server was handed: data bytes, and whether the body says it has no more.
    pub fn sent(&mut self, sent: Sent) {
        let (data_len, last) = match sent {
            Sent::Data(data_len) => (data_len, false),
            Sent::Last(data_len) => (data_len, true),
        };
        if let Some(owed) = &mut self.owed {
            *owed = owed.saturating_sub(data_len as u64);
            if *owed == 0 {
                self.progress = Progress::Sent;
            }
        }
        if last {
            self.progress = Progress::Sent;
        }
    }

    /// The body returned an error, or panicked.
    pub fn failed(&mut self) {
        self.progress = Progress::Failed;
    }

    /// Whether the body is over by the server's count: it said so, or its declared bytes were
    /// handed over.
    pub fn is_over(&self) -> bool {
        self.progress == Progress::Sent
    }

    /// The body said it has no more (`poll_frame` or `poll_next` returned `None`): completed,
    /// unless it owes bytes it declared. Runs or discards the queue.
    pub fn finish_at_end(self) {
        let ending = match self.owed {
            Some(owed) if owed > 0 => Ending::CutShort,
            _ => Ending::Completed,
        };
        self.tasks.finish(Some(self.status), ending);
    }

    /// The body was dropped: completed if it was over (or the response has no body on the wire),
    /// failed if it failed (or the thread is unwinding), cut short otherwise. Runs or discards the
    /// queue.
    pub fn finish_at_drop(self) {
        let ending = if self.progress == Progress::Sent || self.tasks.has_no_body(self.status) {
            Ending::Completed
        } else if self.progress == Progress::Failed || std::thread::panicking() {
            Ending::BodyFailed
        } else {
            Ending::CutShort
        };
        self.tasks.finish(Some(self.status), ending);
    }
}

/// What one chunk or frame handed to the server counts for, as a body wrapper tells
/// [`ResponseEnd::sent`] (or [`BodyEnd::poll_next`](crate::BodyEnd::poll_next)).
///
/// # Examples
///
/// ```
/// use background_tasks_http::Sent;
///
/// // An `http_body::Body` says after a frame whether it has more (`is_end_stream`).
/// assert_eq!(Sent::new(5, true), Sent::Last(5));
/// assert_eq!(Sent::new(5, false), Sent::Data(5));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    /// This many data bytes; the body may have more.
    Data(usize),
    /// This many data bytes, and the body says it has no more: it is over even if it is never
    /// polled to its end (servers drop such a body unpolled).
    Last(usize),
}

impl Sent {
    /// `data_len` bytes; `end_stream` when the body says it has no more (an `http_body::Body`'s
    /// `is_end_stream`).
    pub fn new(data_len: usize, end_stream: bool) -> Self {
        if end_stream {
            Self::Last(data_len)
        } else {
            Self::Data(data_len)
        }
    }
}
