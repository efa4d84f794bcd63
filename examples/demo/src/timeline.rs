//! [`Timeline`]: what happened during one request, timed from the moment the client sent it; the
//! response body that records when the server took its last byte; and the demo's two background
//! functions, which record themselves on it.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use background_tasks::BoxFuture;
use http_body_util::Full;
use hyper::body::{Body, Bytes, Frame, SizeHint};

/// One thing that happened, `at` this long after the client sent the request.
#[derive(Debug, Clone)]
pub(crate) enum Event {
    /// The server took the response body's last byte: the response is complete.
    Sent { at: Duration },
    /// The client has read the whole response.
    Response {
        at: Duration,
        status: u16,
        body: String,
    },
    /// A background task ran from `started` to `ended` on the thread `thread`.
    Task {
        started: Duration,
        ended: Duration,
        call: String,
        kind: &'static str,
        added_by: &'static str,
        thread: String,
    },
}

impl Event {
    fn at(&self) -> Duration {
        match self {
            Self::Sent { at } | Self::Response { at, .. } => *at,
            Self::Task { started, .. } => *started,
        }
    }
}

/// The events of one request, shared by the client, the handler's tasks and `main`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Timeline {
    start: Arc<OnceLock<Instant>>,
    events: Arc<Mutex<Vec<Event>>>,
}

impl Timeline {
    /// Starts the clock: the client is about to send the request.
    pub(crate) fn start(&self) {
        let _ = self.start.set(Instant::now());
    }

    /// Time since [`start`](Self::start).
    pub(crate) fn now(&self) -> Duration {
        self.start.get().map_or(Duration::ZERO, Instant::elapsed)
    }

    pub(crate) fn record(&self, event: Event) {
        self.events.lock().unwrap().push(event);
    }

    /// The events so far, in time order.
    pub(crate) fn events(&self) -> Vec<Event> {
        let mut events = self.events.lock().unwrap().clone();
        events.sort_by_key(Event::at);
        events
    }
}

/// A JSON response body that records [`Event::Sent`] when the server takes its last frame.
///
/// The handler returns it inside `BackgroundTasksLayer`, whose own body starts the tasks only after
/// this one has ended: `Sent` always comes before the first task.
#[derive(Debug)]
pub(crate) struct TimedBody {
    inner: Full<Bytes>,
    timeline: Option<Timeline>,
}

impl TimedBody {
    pub(crate) fn json(json: &'static str, timeline: &Timeline) -> Self {
        Self {
            inner: Full::from(json),
            timeline: Some(timeline.clone()),
        }
    }
}

impl Body for TimedBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let poll = Pin::new(&mut self.inner).poll_frame(cx);
        if poll.is_ready() && self.inner.is_end_stream() {
            if let Some(timeline) = self.timeline.take() {
                timeline.record(Event::Sent { at: timeline.now() });
            }
        }
        poll
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

fn thread_name() -> String {
    std::thread::current()
        .name()
        .unwrap_or("unnamed")
        .to_owned()
}

/// FastAPI's `write_log`, a plain sync function: here the log is the timeline.
pub(crate) fn write_log(timeline: &Timeline, added_by: &'static str, message: String) {
    let started = timeline.now();
    timeline.record(Event::Task {
        started,
        ended: timeline.now(),
        call: format!("write_log({message:?})"),
        kind: "sync",
        added_by,
        thread: thread_name(),
    });
}

/// FastAPI's `async_cleanup`: sleeps on the runtime's timer (`sleep`, made by the server's
/// executor), then "cleans up".
pub(crate) async fn async_cleanup(timeline: Timeline, filename: String, sleep: BoxFuture<()>) {
    let started = timeline.now();
    let thread = thread_name();
    sleep.await;
    timeline.record(Event::Task {
        started,
        ended: timeline.now(),
        call: format!("async_cleanup({filename:?})"),
        kind: "async",
        added_by: "handler",
        thread,
    });
}
