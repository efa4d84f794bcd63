//! C22, the bridge's half: jobs queued on a request's `BackgroundTasks` reach a real storage
//! (SQLite on a temporary file, Postgres and Redis started by the test) after the response, in
//! order with the request's other tasks, under the layer's settings, reported when they fail,
//! committed together under load, and drained by a graceful shutdown. Every check runs on
//! tokio, smol and async-std (`common::runtime`), each app served by `background_tasks_server`
//! on its own runtime, for each of the three storages: one `#[test]` per runtime and storage.

mod common;

use std::future::Future;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::post;
use background_tasks::{BackgroundTasks, BoxFuture, Executor, Outcome, Runner, TaskError};
use background_tasks_apalis::{AddJob, Jobs, PushError};
use background_tasks_conformance::http::Client;
use background_tasks_example_support::client::{Replies, Reply, TIMEOUT};
use background_tasks_tower::{
    BackgroundTasksLayer, Decision, Ending, OnDisconnect, RequestReport, Statuses,
};
use common::runtime::{AsyncStd, Runtime, Smol, Tokio, blocking, spawn, within};
use common::{Check, Note, Pg, Rd, Sqlite, Store, run_checks};
use futures_channel::{mpsc, oneshot};
use futures_lite::StreamExt;

/// A server for one check, on the runtime `R`: the router behind the layer on 127.0.0.1:0,
/// served by `background_tasks_server::serve`, the layer's reports on a channel, the runner for
/// shutdown.
struct App<R: Runtime> {
    addr: SocketAddr,
    reports: mpsc::UnboundedReceiver<RequestReport>,
    runner: Runner<R::Executor>,
}

type ErrorLog = Arc<Mutex<Vec<(String, String, Option<PushError>)>>>;

async fn serve<R: Runtime>(router: Router, statuses: Statuses, errors: ErrorLog) -> App<R> {
    serve_with(router, statuses, OnDisconnect::Run, errors).await
}

async fn serve_with<R: Runtime>(
    router: Router,
    statuses: Statuses,
    on_disconnect: OnDisconnect,
    errors: ErrorLog,
) -> App<R> {
    let runner = Runner::new(R::executor()).on_error(move |label, error| {
        let push = match error {
            TaskError::Failed(error) => error.downcast_ref::<PushError>().cloned(),
            _ => None,
        };
        errors
            .lock()
            .unwrap()
            .push((label.to_owned(), error.to_string(), push));
    });
    let (sent, reports) = mpsc::unbounded();
    let layer = BackgroundTasksLayer::with_runner(runner.clone())
        .statuses(statuses)
        .on_disconnect(on_disconnect)
        .on_report(move |report| {
            let _ = sent.unbounded_send(report);
        });
    let addr = R::serve(router.layer(layer)).await;
    App {
        addr,
        reports,
        runner,
    }
}

impl<R: Runtime> App<R> {
    async fn next_report(&mut self) -> RequestReport {
        within(
            &R::executor(),
            TIMEOUT,
            "a report from the layer",
            self.reports.next(),
        )
        .await
        .expect("the layer is alive")
    }

    async fn post(&self, target: &'static str) -> Reply {
        let addr = self.addr;
        blocking(move || Client::connect(addr).reply("POST", target)).await
    }
}

/// The bridge's handle to `storage`, its pusher on `R`'s executor.
fn jobs_on<R: Runtime, S: Store>(storage: S::Storage) -> Jobs<Note> {
    S::jobs(storage, &R::executor())
}

/// A gate a sync task waits behind until the test opens it (bounded by [`TIMEOUT`]).
#[derive(Clone, Default)]
struct Gate(Arc<(Mutex<bool>, Condvar)>);

impl Gate {
    fn wait(&self) {
        let (open, changed) = &*self.0;
        let (open, timeout) = changed
            .wait_timeout_while(open.lock().unwrap(), TIMEOUT, |open| !*open)
            .unwrap();
        assert!(*open && !timeout.timed_out(), "the gate was never opened");
    }

    fn open(&self) {
        let (open, changed) = &*self.0;
        *open.lock().unwrap() = true;
        changed.notify_all();
    }
}

/// Polls every future at once, so that all of them have started before any other task runs.
async fn join_all<F: Future + Unpin>(futures: Vec<F>) -> Vec<F::Output> {
    let mut pending: Vec<Option<F>> = futures.into_iter().map(Some).collect();
    let mut done: Vec<Option<F::Output>> = pending.iter().map(|_| None).collect();
    std::future::poll_fn(move |cx: &mut Context<'_>| {
        for (slot, out) in pending.iter_mut().zip(done.iter_mut()) {
            if let Some(future) = slot
                && let Poll::Ready(value) = Pin::new(future).poll(cx)
            {
                *out = Some(value);
                *slot = None;
            }
        }
        if pending.iter().all(Option::is_none) {
            Poll::Ready(done.iter_mut().map(|o| o.take().unwrap()).collect())
        } else {
            Poll::Pending
        }
    })
    .await
}

fn sorted(mut notes: Vec<Note>) -> Vec<Note> {
    notes.sort_by_key(|note| (note.request, note.seq));
    notes
}

/// The job is not in the storage when the response arrives, and is once the queue has run.
async fn pushed_after_response<R: Runtime, S: Store>(store: Arc<S>, queue: String) {
    let jobs = jobs_on::<R, S>(store.storage(&queue).await);
    let gate = Gate::default();
    let (handler_jobs, handler_gate) = (jobs.clone(), gate.clone());
    let router = Router::new().route(
        "/notify",
        post(move |tasks: BackgroundTasks| async move {
            let gate = handler_gate.clone();
            tasks.add_task(move || gate.wait());
            tasks.add_job(&handler_jobs, Note::new(1, 0));
            "ok"
        }),
    );
    let mut app = serve::<R>(router, Statuses::All, ErrorLog::default()).await;
    let reply = app.post("/notify").await;
    assert_eq!(reply.status, 200);
    // A marker through the same pusher, which takes jobs in the order they were handed over: a
    // job handed over before the response would be committed by the time the marker is.
    jobs.push(Note::new(1, 99)).await.unwrap();
    assert_eq!(
        store.stored(&queue).await,
        [Note::new(1, 99)],
        "the job was handed over before its queue ran"
    );
    gate.open();
    let report = app.next_report().await;
    assert!(report.run().is_success(), "{report:?}");
    assert_eq!(
        sorted(store.stored(&queue).await),
        [Note::new(1, 0), Note::new(1, 99)]
    );
}

/// Jobs and tasks of one request run in the order they were queued: a task after a job sees it
/// stored, and the jobs are committed in queue order.
async fn fifo_with_other_tasks<R: Runtime, S: Store>(store: Arc<S>, queue: String) {
    let jobs = jobs_on::<R, S>(store.storage(&queue).await);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (handler_jobs, handler_seen, handler_store, handler_queue) =
        (jobs.clone(), seen.clone(), store.clone(), queue.clone());
    let router = Router::new().route(
        "/notify",
        post(move |tasks: BackgroundTasks| async move {
            for seq in 0..2 {
                tasks.add_job(&handler_jobs, Note::new(2, seq));
                let (seen, store, queue) = (
                    handler_seen.clone(),
                    handler_store.clone(),
                    handler_queue.clone(),
                );
                tasks.add_async_task(async move {
                    let stored = store.stored(&queue).await.len();
                    seen.lock().unwrap().push(stored);
                });
            }
            "ok"
        }),
    );
    let mut app = serve::<R>(router, Statuses::All, ErrorLog::default()).await;
    assert_eq!(app.post("/notify").await.status, 200);
    let report = app.next_report().await;
    assert!(report.run().is_success(), "{report:?}");
    assert_eq!(*seen.lock().unwrap(), [1, 2], "tasks saw the jobs stored");
    let stored = store.stored(&queue).await;
    assert_eq!(sorted(stored.clone()), [Note::new(2, 0), Note::new(2, 1)]);
    if S::ORDERED {
        assert_eq!(stored, [Note::new(2, 0), Note::new(2, 1)]);
    }
}

/// A handler that panics after queueing a job pushes nothing, and the job is reported discarded.
async fn panicking_handler_pushes_nothing<R: Runtime, S: Store>(store: Arc<S>, queue: String) {
    let jobs = jobs_on::<R, S>(store.storage(&queue).await);
    let handler_jobs = jobs.clone();
    let router = Router::new().route(
        "/notify",
        post(move |tasks: BackgroundTasks| async move {
            tasks.add_job(&handler_jobs, Note::new(3, 0));
            if tasks.len() == 1 {
                panic!("the handler fails after queueing its job");
            }
            "unreachable"
        }),
    );
    let mut app = serve::<R>(router, Statuses::All, ErrorLog::default()).await;
    let addr = app.addr;
    let answer = blocking(move || {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(TIMEOUT)).unwrap();
        stream
            .write_all(b"POST /notify HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
            .unwrap();
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        answer
    })
    .await;
    assert!(
        !answer.starts_with(b"HTTP/1.1 200"),
        "the panic answered 200"
    );
    let report = app.next_report().await;
    assert_eq!(report.decision(), Decision::NoResponse);
    assert_eq!(report.run().count(|o| *o == Outcome::Discarded), 1);
    assert_eq!(jobs.stats().batches, 0, "the pusher saw a job");
    // A marker through the same pusher: a job handed over earlier would be committed with it.
    jobs.push(Note::new(3, 99)).await.unwrap();
    assert_eq!(store.stored(&queue).await, [Note::new(3, 99)]);
}

/// Under `Statuses::Success`, a 500 pushes nothing and a 200 pushes its job.
async fn success_only_pushes_for_successes<R: Runtime, S: Store>(store: Arc<S>, queue: String) {
    let jobs = jobs_on::<R, S>(store.storage(&queue).await);
    let (fail_jobs, ok_jobs) = (jobs.clone(), jobs.clone());
    let router = Router::new()
        .route(
            "/fail",
            post(move |tasks: BackgroundTasks| async move {
                tasks.add_job(&fail_jobs, Note::new(4, 0));
                (StatusCode::INTERNAL_SERVER_ERROR, "failed")
            }),
        )
        .route(
            "/ok",
            post(move |tasks: BackgroundTasks| async move {
                tasks.add_job(&ok_jobs, Note::new(4, 1));
                "ok"
            }),
        );
    let mut app = serve::<R>(router, Statuses::Success, ErrorLog::default()).await;
    assert_eq!(app.post("/fail").await.status, 500);
    let report = app.next_report().await;
    assert_eq!(report.decision(), Decision::SkippedForStatus);
    assert_eq!(report.run().count(|o| *o == Outcome::Discarded), 1);
    assert_eq!(app.post("/ok").await.status, 200);
    let report = app.next_report().await;
    assert!(report.run().is_success(), "{report:?}");
    assert_eq!(store.stored(&queue).await, [Note::new(4, 1)]);
}

/// A client that goes away while the handler works: `OnDisconnect::Run` (the default) still
/// pushes the job, `OnDisconnect::Skip` pushes nothing and reports it discarded.
async fn disconnect_setting_decides_the_push<R: Runtime, S: Store>(store: Arc<S>, queue: String) {
    let jobs = jobs_on::<R, S>(store.storage(&queue).await);
    for (request, on_disconnect) in [(0, OnDisconnect::Run), (1, OnDisconnect::Skip)] {
        let (waiting, handler_waiting) = oneshot::channel::<()>();
        let waiting = Arc::new(Mutex::new(Some(waiting)));
        let handler_jobs = jobs.clone();
        let router = Router::new().route(
            "/notify",
            post(move |tasks: BackgroundTasks| async move {
                tasks.add_job(&handler_jobs, Note::new(9, request));
                if let Some(waiting) = waiting.lock().unwrap().take() {
                    let _ = waiting.send(());
                }
                std::future::pending::<&'static str>().await
            }),
        );
        let mut app =
            serve_with::<R>(router, Statuses::All, on_disconnect, ErrorLog::default()).await;
        let addr = app.addr;
        let stream = blocking(move || {
            let mut stream = TcpStream::connect(addr).unwrap();
            stream
                .write_all(b"POST /notify HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
                .unwrap();
            stream
        })
        .await;
        within(&R::executor(), TIMEOUT, "the handler", handler_waiting)
            .await
            .expect("the handler's channel");
        drop(stream);
        let report = app.next_report().await;
        assert_eq!(report.ending(), Ending::Cancelled, "{report:?}");
        match on_disconnect {
            OnDisconnect::Skip => {
                assert_eq!(report.decision(), Decision::SkippedOnDisconnect);
                assert_eq!(report.run().count(|o| *o == Outcome::Discarded), 1);
            }
            _ => assert!(report.run().is_success(), "{report:?}"),
        }
    }
    // A marker through the same pusher: a job handed over earlier is committed by then.
    jobs.push(Note::new(9, 99)).await.unwrap();
    assert_eq!(
        sorted(store.stored(&queue).await),
        [Note::new(9, 0), Note::new(9, 99)]
    );
}

/// A push the storage refuses is a failed task: labelled with the job's type, the storage's own
/// error kept, the rest of the queue skipped under the default policy.
async fn failed_push_is_reported<R: Runtime, S: Store>(store: Arc<S>, queue: String) {
    let jobs = jobs_on::<R, S>(store.broken_storage(&queue).await);
    let handler_jobs = jobs.clone();
    let router = Router::new().route(
        "/notify",
        post(move |tasks: BackgroundTasks| async move {
            tasks.add_job(&handler_jobs, Note::new(5, 0));
            tasks.add_task(|| {});
            "ok"
        }),
    );
    let errors = ErrorLog::default();
    let mut app = serve::<R>(router, Statuses::All, errors.clone()).await;
    assert_eq!(app.post("/notify").await.status, 200);
    let report = app.next_report().await;
    let outcomes: Vec<_> = report.run().tasks().iter().map(|t| &t.outcome).collect();
    assert!(
        matches!(outcomes[..], [Outcome::Failed(_), Outcome::Skipped]),
        "{outcomes:?}"
    );
    let job_type = std::any::type_name::<Note>();
    assert_eq!(report.run().tasks()[0].label, job_type);
    let errors = errors.lock().unwrap();
    let [(label, message, Some(push))] = &errors[..] else {
        panic!("one PushError expected in the error hook: {errors:?}");
    };
    assert_eq!(label, job_type);
    assert!(message.contains(job_type), "{message}");
    let PushError::Storage { job, error } = push else {
        panic!("a storage error expected: {push:?}");
    };
    assert_eq!(*job, job_type);
    // The storage's own error, as apalis gave it, is the source.
    assert!(
        message.contains(&error.to_string()),
        "{message} lacks {error}"
    );
    assert!(
        error.to_string().starts_with("Failed to push task"),
        "{error}"
    );
    assert_eq!(jobs.stats().failed, 1);
}

/// `R`'s executor, except that the one future it spawns (the bridge's pusher) starts only once
/// the test sends on `start`'s other end: the test decides when the pusher first looks for jobs.
struct Held<E> {
    inner: E,
    start: Mutex<Option<oneshot::Receiver<()>>>,
}

impl<E: Executor> Executor for Held<E> {
    fn spawn(&self, future: BoxFuture<()>) {
        let start = self
            .start
            .lock()
            .unwrap()
            .take()
            .expect("one spawn: the pusher");
        self.inner.spawn(Box::pin(async move {
            start.await.expect("the test released the pusher");
            future.await;
        }));
    }

    fn spawn_blocking(
        &self,
        job: background_tasks::BlockingJob,
    ) -> BoxFuture<Result<(), background_tasks::BlockingError>> {
        self.inner.spawn_blocking(job)
    }

    fn sleep(&self, duration: Duration) -> Option<BoxFuture<()>> {
        self.inner.sleep(duration)
    }
}

/// Jobs waiting at the same moment are pushed in one commit: 64 pushes handed over before the
/// pusher first runs make one batch.
async fn concurrent_pushes_share_a_commit<R: Runtime, S: Store>(store: Arc<S>, queue: String) {
    let (release, start) = oneshot::channel();
    let held = Held {
        inner: R::executor(),
        start: Mutex::new(Some(start)),
    };
    let jobs = S::jobs(store.storage(&queue).await, &held);
    let mut pushes: Vec<_> = (0..64)
        .map(|seq| Box::pin(jobs.push(Note::new(6, seq))))
        .collect();
    for push in &mut pushes {
        // Its first poll hands the job over; then it waits for its commit.
        assert!(futures_lite::future::poll_once(push).await.is_none());
    }
    release.send(()).unwrap();
    for pushed in within(&R::executor(), TIMEOUT, "64 pushes", join_all(pushes)).await {
        pushed.unwrap();
    }
    let stats = jobs.stats();
    assert_eq!(
        (stats.batches, stats.largest_batch, stats.pushed),
        (1, 64, 64)
    );
    let expected: Vec<_> = (0..64).map(|seq| Note::new(6, seq)).collect();
    assert_eq!(sorted(store.stored(&queue).await), expected);
}

/// Under concurrent HTTP load, every job is stored, each request's jobs in its own order, with
/// fewer commits than jobs.
async fn concurrent_requests_keep_their_order<R: Runtime, S: Store>(store: Arc<S>, queue: String) {
    const CLIENTS: u32 = 32;
    const REQUESTS: u32 = 4;
    const JOBS: u32 = 3;
    let jobs = jobs_on::<R, S>(store.storage(&queue).await);
    let handler_jobs = jobs.clone();
    let router = Router::new().route(
        "/notify/{request}",
        post(
            move |tasks: BackgroundTasks,
                  axum::extract::Path(request): axum::extract::Path<u32>| async move {
                for seq in 0..JOBS {
                    tasks.add_job(&handler_jobs, Note::new(request, seq));
                }
                "ok"
            },
        ),
    );
    let mut app = serve::<R>(router, Statuses::All, ErrorLog::default()).await;
    let addr = app.addr;
    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| {
            blocking(move || {
                let mut connection = Client::connect(addr);
                for request in 0..REQUESTS {
                    let target = format!("/notify/{}", client * REQUESTS + request);
                    assert_eq!(connection.reply("POST", &target).status, 200);
                }
            })
        })
        .collect();
    for client in clients {
        client.await;
    }
    for _ in 0..CLIENTS * REQUESTS {
        let report = app.next_report().await;
        assert!(report.run().is_success(), "{report:?}");
    }
    let stored = store.stored(&queue).await;
    let total = CLIENTS * REQUESTS * JOBS;
    assert_eq!(stored.len() as u32, total);
    if S::ORDERED {
        let mut next = vec![0; (CLIENTS * REQUESTS) as usize];
        for note in &stored {
            assert_eq!(
                note.seq, next[note.request as usize],
                "request {}'s jobs out of order",
                note.request
            );
            next[note.request as usize] += 1;
        }
    }
    let stats = jobs.stats();
    assert_eq!(stats.pushed, u64::from(total));
    assert!(
        stats.batches < stats.pushed,
        "no two jobs shared a commit: {stats:?}"
    );
}

/// A graceful shutdown that starts while requests' pushes are still waiting returns only once
/// they are committed: the storage holds every job the moment it returns.
async fn shutdown_drains_pushes<R: Runtime, S: Store>(store: Arc<S>, queue: String) {
    const REQUESTS: u32 = 20;
    let jobs = jobs_on::<R, S>(store.storage(&queue).await);
    let gate = Gate::default();
    let (handler_jobs, handler_gate) = (jobs.clone(), gate.clone());
    let router = Router::new().route(
        "/notify/{request}",
        post(
            move |tasks: BackgroundTasks,
                  axum::extract::Path(request): axum::extract::Path<u32>| async move {
                let gate = handler_gate.clone();
                tasks.add_task(move || gate.wait());
                tasks.add_job(&handler_jobs, Note::new(request, 0));
                "ok"
            },
        ),
    );
    let app = serve::<R>(router, Statuses::All, ErrorLog::default()).await;
    drop(jobs); // only the queued tasks hold the pusher now
    let addr = app.addr;
    blocking(move || {
        let mut client = Client::connect(addr);
        for request in 0..REQUESTS {
            assert_eq!(
                client.reply("POST", &format!("/notify/{request}")).status,
                200
            );
        }
    })
    .await;
    assert!(store.stored(&queue).await.is_empty());
    let runner = app.runner.clone();
    let shutdown = spawn(&R::executor(), async move {
        runner.shutdown(Duration::from_secs(30)).await
    });
    within(&R::executor(), TIMEOUT, "the shutdown's start", async {
        while !app.runner.is_shutting_down() {
            futures_lite::future::yield_now().await;
        }
    })
    .await;
    gate.open();
    let report = shutdown.await.unwrap();
    assert!(report.is_complete(), "{report:?}");
    assert_eq!(
        report.metrics.succeeded,
        u64::from(2 * REQUESTS),
        "{report:?}"
    );
    assert_eq!(store.stored(&queue).await.len() as u32, REQUESTS);
}

/// Confirmed before the response: a handler that awaits `Jobs::push` answers 200 only once its
/// job is committed (the storage holds it when the client has the response), and 503 when the
/// storage refuses it. The pusher is held until the handler has started its push and another
/// request has been answered, so a 200 that did not wait for the commit would reach the client
/// before the pusher was released.
async fn confirmed_push_answers_after_the_commit<R: Runtime, S: Store>(
    store: Arc<S>,
    queue: String,
) {
    let (release, start) = oneshot::channel();
    let held = Held {
        inner: R::executor(),
        start: Mutex::new(Some(start)),
    };
    let jobs = S::jobs(store.storage(&queue).await, &held);
    let refused = jobs_on::<R, S>(store.broken_storage(&queue).await);
    let (pushing, handler_pushing) = oneshot::channel::<()>();
    let pushing = Arc::new(Mutex::new(Some(pushing)));
    let (handler_jobs, handler_refused) = (jobs.clone(), refused.clone());
    // What a handler that must not answer before the job is stored does: await the push.
    async fn confirmed(jobs: &Jobs<Note>, job: Note) -> (StatusCode, &'static str) {
        match jobs.push(job).await {
            Ok(_id) => (StatusCode::OK, "stored"),
            Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "not stored, try again"),
        }
    }
    let router = Router::new()
        .route(
            "/confirmed",
            post(move || async move {
                if let Some(pushing) = pushing.lock().unwrap().take() {
                    let _ = pushing.send(());
                }
                confirmed(&handler_jobs, Note::new(10, 0)).await
            }),
        )
        .route(
            "/refused",
            post(move || async move { confirmed(&handler_refused, Note::new(10, 1)).await }),
        )
        .route("/ping", post(|| async { "pong" }));
    let app = serve::<R>(router, Statuses::All, ErrorLog::default()).await;
    let released = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (addr, released_at_reply) = (app.addr, released.clone());
    let reply = blocking(move || {
        let reply = Client::connect(addr).reply("POST", "/confirmed");
        (
            reply,
            released_at_reply.load(std::sync::atomic::Ordering::SeqCst),
        )
    });
    within(&R::executor(), TIMEOUT, "the handler", handler_pushing)
        .await
        .expect("the handler's channel");
    // A whole request answered while the pusher is held: time for an early 200 to arrive.
    assert_eq!(app.post("/ping").await.status, 200);
    released.store(true, std::sync::atomic::Ordering::SeqCst);
    release.send(()).unwrap();
    let (reply, released_at_reply) = reply.await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert!(released_at_reply, "answered before the pusher could commit");
    assert_eq!(
        store.stored(&queue).await,
        [Note::new(10, 0)],
        "answered before the commit"
    );
    let reply = app.post("/refused").await;
    assert_eq!(reply.status, 503, "{reply:?}");
    assert_eq!(reply.body, "not stored, try again");
    assert_eq!(store.stored(&queue).await, [Note::new(10, 0)]);
    assert_eq!((refused.stats().failed, jobs.stats().pushed), (1, 1));
}

/// A job the codec refuses fails alone; the jobs committed beside it are stored.
async fn unencodable_job_fails_alone<R: Runtime, S: Store>(store: Arc<S>, queue: String) {
    let jobs = jobs_on::<R, S>(store.storage(&queue).await);
    let mut poisoned = Note::new(8, 1);
    poisoned.poisoned = true;
    let pushes = vec![
        Box::pin(jobs.push(Note::new(8, 0))),
        Box::pin(jobs.push(poisoned)),
        Box::pin(jobs.push(Note::new(8, 2))),
    ];
    let results = join_all(pushes).await;
    assert!(results[0].is_ok() && results[2].is_ok(), "{results:?}");
    let Err(PushError::Encode { job, error }) = &results[1] else {
        panic!("an encode error expected: {results:?}");
    };
    assert_eq!(*job, std::any::type_name::<Note>());
    assert!(error.to_string().contains("poisoned"), "{error}");
    assert_eq!(
        sorted(store.stored(&queue).await),
        [Note::new(8, 0), Note::new(8, 2)]
    );
}

/// `Jobs::push` resolves with the id the storage keeps the job under (the worker's `TaskId`);
/// with an observer, a job queued by `add_job_with_id` answers `pushed` with that id once
/// stored, and `failed` when the storage refused it.
async fn the_job_id_is_the_storage_id<R: Runtime, S: Store>(store: Arc<S>, queue: String) {
    let jobs = jobs_on::<R, S>(store.storage(&queue).await);
    let first = jobs.push(Note::new(11, 0)).await.unwrap();
    let second = jobs.push(Note::new(11, 1)).await.unwrap();
    let mut pushed = vec![first.to_string(), second.to_string()];
    pushed.sort();
    assert_eq!(store.stored_ids(&queue).await, pushed);

    #[cfg(feature = "status")]
    {
        use background_tasks::status::{Observer, TaskState};

        let observer = Observer::new(10);
        let runner = Runner::new(R::executor()).observe(observer.clone());
        let tasks = runner.queue();
        let refused = jobs_on::<R, S>(store.broken_storage(&queue).await);
        let stored = tasks.add_job_with_id(&jobs, Note::new(11, 2)).unwrap();
        let lost = tasks.add_job_with_id(&refused, Note::new(11, 3)).unwrap();
        assert_eq!(observer.task(stored), TaskState::Queued);
        runner.run(tasks).await;
        let TaskState::Pushed(Some(job_id)) = observer.task(stored) else {
            panic!("pushed with its id expected: {:?}", observer.task(stored));
        };
        assert!(store.stored_ids(&queue).await.contains(&job_id), "{job_id}");
        assert_eq!(observer.task(lost).as_str(), "failed");
    }
}

fn checks<R: Runtime, S: Store>() -> Vec<(&'static str, Check<S>)> {
    vec![
        ("the_job_id_is_the_storage_id", |s, q| {
            Box::pin(the_job_id_is_the_storage_id::<R, S>(s, q))
        }),
        ("pushed_after_response", |s, q| {
            Box::pin(pushed_after_response::<R, S>(s, q))
        }),
        ("fifo_with_other_tasks", |s, q| {
            Box::pin(fifo_with_other_tasks::<R, S>(s, q))
        }),
        ("panicking_handler_pushes_nothing", |s, q| {
            Box::pin(panicking_handler_pushes_nothing::<R, S>(s, q))
        }),
        ("success_only_pushes_for_successes", |s, q| {
            Box::pin(success_only_pushes_for_successes::<R, S>(s, q))
        }),
        ("disconnect_setting_decides_the_push", |s, q| {
            Box::pin(disconnect_setting_decides_the_push::<R, S>(s, q))
        }),
        ("failed_push_is_reported", |s, q| {
            Box::pin(failed_push_is_reported::<R, S>(s, q))
        }),
        ("concurrent_pushes_share_a_commit", |s, q| {
            Box::pin(concurrent_pushes_share_a_commit::<R, S>(s, q))
        }),
        ("concurrent_requests_keep_their_order", |s, q| {
            Box::pin(concurrent_requests_keep_their_order::<R, S>(s, q))
        }),
        ("shutdown_drains_pushes", |s, q| {
            Box::pin(shutdown_drains_pushes::<R, S>(s, q))
        }),
        ("confirmed_push_answers_after_the_commit", |s, q| {
            Box::pin(confirmed_push_answers_after_the_commit::<R, S>(s, q))
        }),
        ("unencodable_job_fails_alone", |s, q| {
            Box::pin(unencodable_job_fails_alone::<R, S>(s, q))
        }),
    ]
}

/// One `#[test]` per runtime and storage, each running every check on a server of its own, so
/// that a failure names both.
macro_rules! bridge_tests {
    ($($name:ident: $runtime:ty, $store:ty;)*) => {$(
        #[test]
        fn $name() {
            <$runtime as Runtime>::block_on(run_checks::<$runtime, $store>(&checks::<$runtime, $store>()));
        }
    )*};
}

bridge_tests! {
    c22_bridge_on_sqlite_tokio: Tokio, Sqlite;
    c22_bridge_on_sqlite_smol: Smol, Sqlite;
    c22_bridge_on_sqlite_async_std: AsyncStd, Sqlite;
    c22_bridge_on_postgres_tokio: Tokio, Pg;
    c22_bridge_on_postgres_smol: Smol, Pg;
    c22_bridge_on_postgres_async_std: AsyncStd, Pg;
    c22_bridge_on_redis_tokio: Tokio, Rd;
    c22_bridge_on_redis_smol: Smol, Rd;
    c22_bridge_on_redis_async_std: AsyncStd, Rd;
}

#[cfg(feature = "sqlite")]
bridge_tests! {
    c22_bridge_on_sqlite_rows_tokio: Tokio, common::SqliteRows;
    c22_bridge_on_sqlite_rows_smol: Smol, common::SqliteRows;
    c22_bridge_on_sqlite_rows_async_std: AsyncStd, common::SqliteRows;
}
