//! The hand-written peer: what a careful axum user writes to get our guarantees without the
//! library, and what our layer is measured against. Per request, a list of tasks in a request
//! extension; a body wrapper that runs them once the response body has ended (its `None`, or its
//! drop: a client that leaves still gets its tasks run); each task under `catch_unwind`; sync
//! work through one `spawn_blocking`, async work in one spawned task; everything spawned through
//! a `TaskTracker` that the server drains at shutdown. No per-task reports, no metrics, no
//! ordering of sync after async across one trip: the minimum that keeps the promises.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::Response;
use axum::routing::get;
use axum::{Extension, middleware};
use http_body::{Frame, SizeHint};
use tokio_util::task::TaskTracker;

use crate::counters::Counters;

const BODY: &str = "hello";

/// One task of the peer's per-request list.
enum PeerTask {
    Sync(Box<dyn FnOnce() + Send>),
    Async(Pin<Box<dyn Future<Output = ()> + Send>>),
}

/// A request's tasks, shared by the handler (which adds) and the body (which runs them).
#[derive(Clone, Default)]
struct PeerTasks(Arc<Mutex<Vec<PeerTask>>>);

/// The work each request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerScenario {
    /// One sync task.
    OneSync,
    /// One async task.
    OneAsync,
}

impl std::str::FromStr for PeerScenario {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, String> {
        match name {
            "one-sync" => Ok(Self::OneSync),
            "one-async" => Ok(Self::OneAsync),
            _ => Err(format!(
                "unknown peer scenario `{name}`; use one-sync or one-async"
            )),
        }
    }
}

/// The peer's application: `GET /` queues the scenario's task, `GET /stats` reads `counters`.
pub fn router(scenario: PeerScenario, counters: Arc<Counters>, tracker: TaskTracker) -> Router {
    let handler = match scenario {
        PeerScenario::OneSync => get(sync_task),
        PeerScenario::OneAsync => get(async_task),
    };
    let stats = {
        let counters = Arc::clone(&counters);
        move || async move { counters.snapshot(None).to_json() }
    };
    Router::new()
        .route("/", handler)
        .layer(middleware::from_fn(move |request, next| {
            after_response(tracker.clone(), request, next)
        }))
        .route("/stats", get(stats))
        .with_state(counters)
}

async fn sync_task(
    State(counters): State<Arc<Counters>>,
    Extension(tasks): Extension<PeerTasks>,
) -> &'static str {
    Counters::bump(&counters.requests);
    Counters::bump(&counters.queued);
    let counters = Arc::clone(&counters);
    let task = move || Counters::bump(&counters.completed);
    tasks.0.lock().unwrap().push(PeerTask::Sync(Box::new(task)));
    BODY
}

async fn async_task(
    State(counters): State<Arc<Counters>>,
    Extension(tasks): Extension<PeerTasks>,
) -> &'static str {
    Counters::bump(&counters.requests);
    Counters::bump(&counters.queued);
    let counters = Arc::clone(&counters);
    let task = async move { Counters::bump(&counters.completed) };
    tasks
        .0
        .lock()
        .unwrap()
        .push(PeerTask::Async(Box::pin(task)));
    BODY
}

/// Gives the request its task list and the response a body that runs it at its end.
async fn after_response(
    tracker: TaskTracker,
    mut request: Request,
    next: middleware::Next,
) -> Response<Body> {
    let tasks = PeerTasks::default();
    request.extensions_mut().insert(tasks.clone());
    let response = next.run(request).await;
    response.map(|body| {
        Body::new(AtEnd {
            inner: body,
            run: Some(Run { tasks, tracker }),
        })
    })
}

/// What the body runs at its end.
struct Run {
    tasks: PeerTasks,
    tracker: TaskTracker,
}

impl Run {
    fn start(self) {
        let tasks = std::mem::take(&mut *self.tasks.0.lock().unwrap());
        if tasks.is_empty() {
            return;
        }
        if tasks.iter().all(|task| matches!(task, PeerTask::Sync(_))) {
            // One trip to the blocking pool for the lot, as the library does.
            self.tracker.spawn_blocking(move || {
                for task in tasks {
                    if let PeerTask::Sync(work) = task {
                        let _ = catch_unwind(AssertUnwindSafe(work));
                    }
                }
            });
            return;
        }
        let tracker = self.tracker.clone();
        self.tracker.spawn(async move {
            for task in tasks {
                match task {
                    PeerTask::Sync(work) => {
                        let _ = tracker
                            .spawn_blocking(move || catch_unwind(AssertUnwindSafe(work)))
                            .await;
                    }
                    PeerTask::Async(future) => {
                        let _ = CatchUnwind(future).await;
                    }
                }
            }
        });
    }
}

/// A response body that starts its request's tasks at its end.
struct AtEnd {
    inner: Body,
    run: Option<Run>,
}

impl http_body::Body for AtEnd {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let poll = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(None) = poll {
            if let Some(run) = self.run.take() {
                run.start();
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

impl Drop for AtEnd {
    fn drop(&mut self) {
        // Servers drop a body they know is over without polling its end: run the tasks then.
        if let Some(run) = self.run.take() {
            run.start();
        }
    }
}

/// A future whose panic is caught and dropped.
struct CatchUnwind(Pin<Box<dyn Future<Output = ()> + Send>>);

impl Future for CatchUnwind {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match catch_unwind(AssertUnwindSafe(|| self.0.as_mut().poll(cx))) {
            Ok(poll) => poll,
            Err(_) => Poll::Ready(()),
        }
    }
}
