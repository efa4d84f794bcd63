//! The HTTP checks, one public function per behaviour, named after the contract clause it proves.
//! Each builds a fresh runtime with [`Harness::new`](crate::Harness::new), serves a router of its
//! own behind `BackgroundTasksLayer` with [`HttpHarness::serve`], and talks to it with a
//! [`Client`] over TCP.
//!
//! Where a check must show that something has *not* happened yet (no task started while a
//! response is half-sent), it first proves that background work is flowing: a request on another
//! connection queues a task, and the check waits until that task has run. A task that the layer
//! started too early has by then had every chance to run as well.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, mpsc};

use background_tasks::{BackgroundTasks, Outcome};
use background_tasks_tower::{
    BackgroundTasksLayer, Decision, Ending, OnDisconnect, RequestReport, Statuses,
};
use futures_channel::oneshot;
use http::{Request, Response, StatusCode};
use http_body::Body;
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Bytes, Incoming};
use tower::{Layer, service_fn};
use tower_http::catch_panic::CatchPanicLayer;

use crate::harness::{DELIBERATE, quiet_deliberate_panics};
use crate::http::{
    Chunks, Client, Events, Head, HttpBody, HttpHarness, HttpService, Reports, WAIT_LIMIT,
    boxed_service, local_listener,
};

pub use crate::http::ends::{
    c08_body_short_of_its_content_length_is_cut_short,
    c08_compressed_body_runs_tasks_after_its_end, c08_event_stream_runs_tasks_after_the_last_event,
    c08_served_file_runs_tasks_after_its_last_byte,
    c08_streamed_body_with_content_length_runs_tasks_after_its_last_byte,
};
pub use crate::http::h2::{
    c01_h2_dependency_and_handler_tasks_run_in_order, c08_h2_tasks_start_after_the_stream_ends,
};
pub use crate::http::load::{
    c14_every_task_runs_exactly_once_under_load,
    c16_shutdown_under_load_abandons_exactly_what_never_ran,
    c16_shutdown_under_load_waits_for_every_queue,
};

const CHUNK: usize = 64 * 1024;

/// 16 MiB: far more than the small socket buffers and hyper's write buffer hold between them, so
/// that a client that stops half-way really holds the rest of the body back.
const BIG_CHUNKS: usize = 256;

/// Serves `service` on the harness's runtime and returns its address.
pub(super) fn serve_service<H: HttpHarness>(harness: &H, service: HttpService) -> SocketAddr {
    let listener = local_listener();
    let addr = listener.local_addr().expect("the listener's address");
    harness.serve(listener, service);
    addr
}

/// Serves `handler` behind `layer`. The handler runs in the service's `call`, builds the response
/// there and hands it back in a ready future, as most handlers effectively do.
pub(super) fn serve<H, F>(
    harness: &H,
    layer: BackgroundTasksLayer<H::Executor>,
    handler: F,
) -> SocketAddr
where
    H: HttpHarness,
    F: Fn(Request<Incoming>) -> Response<HttpBody> + Clone + Send + 'static,
{
    let router =
        service_fn(move |request| std::future::ready(Ok::<_, Infallible>(handler(request))));
    serve_service(harness, boxed_service(layer.layer(router)))
}

/// Serves `handler`, an async one, behind `layer`.
fn serve_async<H, F, Fut>(
    harness: &H,
    layer: BackgroundTasksLayer<H::Executor>,
    handler: F,
) -> SocketAddr
where
    H: HttpHarness,
    F: Fn(Request<Incoming>) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Response<HttpBody>> + Send + 'static,
{
    let router = service_fn(move |request| {
        let response = handler(request);
        async move { Ok::<_, Infallible>(response.await) }
    });
    serve_service(harness, boxed_service(layer.layer(router)))
}

/// The request's queue, as an extractor (a FastAPI "dependency") would take it: the layer makes
/// it current while the handler works.
pub(super) fn queue() -> BackgroundTasks {
    BackgroundTasks::try_current().unwrap_or_else(|missing| panic!("{missing}"))
}

pub(super) fn boxed<B: Body<Data = Bytes, Error = Infallible> + Send + 'static>(
    body: B,
) -> HttpBody {
    body.map_err(|never| match never {}).boxed_unsync()
}

pub(super) fn respond(status: StatusCode, body: HttpBody) -> Response<HttpBody> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response
}

pub(super) fn text(text: &'static str) -> Response<HttpBody> {
    respond(StatusCode::OK, boxed(Full::from(text)))
}

pub(super) fn chunks(body: Chunks) -> Response<HttpBody> {
    respond(StatusCode::OK, boxed(body))
}

/// Any path a check does not route: queues a task that logs `"{path} task ran"`.
pub(super) fn probe(request: &Request<Incoming>, events: &Events) -> Response<HttpBody> {
    let (events, ran) = (events.clone(), format!("{} task ran", request.uri().path()));
    queue().add_async_task(async move { events.push(ran) });
    text("probed")
}

/// Proves that background work is flowing on the server: a request to `path` on a connection of
/// its own queues a task, and this waits until the task has run.
pub(super) fn prove_tasks_flow(addr: SocketAddr, events: &Events, path: &str) {
    let (head, _) = Client::connect(addr).request("GET", path);
    assert_eq!(head.status, 200, "the probe {path} failed");
    events.wait_for(&format!("{path} task ran"));
}

/// A value that a cloneable handler hands out once (a gate's receiving end, say).
pub(super) struct Slot<T>(Arc<Mutex<Option<T>>>);

impl<T> Slot<T> {
    pub(super) fn new(value: T) -> Self {
        Self(Arc::new(Mutex::new(Some(value))))
    }

    pub(super) fn take(&self) -> T {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take()
            .expect("the check hands this out once")
    }
}

impl<T> Clone for Slot<T> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

pub(super) fn assert_ran(report: &RequestReport, status: u16) {
    assert_eq!(
        (
            report.status().map(|s| s.as_u16()),
            report.ending(),
            report.decision()
        ),
        (Some(status), Ending::Completed, Decision::Ran),
        "{report:?}"
    );
    assert!(report.run().is_success(), "{report:?}");
}

pub(super) fn outcomes(report: &RequestReport) -> Vec<Outcome> {
    report
        .run()
        .tasks()
        .iter()
        .map(|t| t.outcome.clone())
        .collect()
}

/// C1: FastAPI's second example over HTTP. A "dependency" (a function taking the request's queue
/// with `BackgroundTasks::current`, as an extractor does) adds a `write_log` task when `?q=` is given; the
/// handler adds one of its own; the lines are written in that order, and only the handler's
/// without `q`.
pub fn c01_dependency_and_handler_tasks_run_in_order<H: HttpHarness>() {
    fn write_log(log: &Events, message: String) {
        log.push(message);
    }

    /// FastAPI's `get_query(background_tasks, q)`.
    fn get_query(request: &Request<Incoming>, log: &Events) -> Option<String> {
        let tasks = queue();
        let q = request
            .uri()
            .query()
            .into_iter()
            .flat_map(|query| query.split('&'))
            .find_map(|pair| pair.strip_prefix("q="))
            .map(str::to_owned);
        if let Some(q) = &q {
            let (log, message) = (log.clone(), format!("found query: {q}"));
            tasks.add_task(move || write_log(&log, message));
        }
        q
    }

    let harness = H::new();
    let (log, reports) = (Events::default(), Reports::default());
    let layer = BackgroundTasksLayer::new(harness.executor()).on_report(reports.hook());
    let l = log.clone();
    let addr = serve(&harness, layer, move |request| {
        let _q = get_query(&request, &l);
        let email = request
            .uri()
            .path()
            .strip_prefix("/send-notification/")
            .expect("the only route")
            .to_owned();
        let (log, message) = (l.clone(), format!("message to {email}"));
        queue().add_task(move || write_log(&log, message));
        text(r#"{"message":"Message sent"}"#)
    });

    let mut client = Client::connect(addr);
    let (head, body) = client.request("POST", "/send-notification/ada@example.com?q=rust");
    assert_eq!(
        (head.status, &*body),
        (200, &br#"{"message":"Message sent"}"#[..])
    );
    let report = reports.take("/send-notification/ada@example.com");
    assert_ran(&report, 200);
    assert_eq!(report.run().tasks().len(), 2);
    assert_eq!(
        log.snapshot(),
        ["found query: rust", "message to ada@example.com"]
    );

    log.clear();
    assert_eq!(
        client
            .request("POST", "/send-notification/bob@example.com")
            .0
            .status,
        200
    );
    let report = reports.take("/send-notification/bob@example.com");
    assert_ran(&report, 200);
    assert_eq!(log.snapshot(), ["message to bob@example.com"]);
}

/// C8: a client that stops reading half-way through a 16 MiB response holds its tasks back: while
/// it is paused (and another connection's task runs), none has started; once it reads the rest,
/// they run, after the body's end.
pub fn c08_paused_client_delays_tasks_until_it_reads_the_rest<H: HttpHarness>() {
    let harness = H::new();
    let (events, reports) = (Events::default(), Reports::default());
    let layer = BackgroundTasksLayer::new(harness.executor()).on_report(reports.hook());
    let e = events.clone();
    let addr = serve(&harness, layer, move |request| {
        if request.uri().path() != "/big" {
            return probe(&request, &e);
        }
        let log = e.clone();
        queue().add_async_task(async move { log.push("big task started") });
        chunks(Chunks::new(&e, "big", BIG_CHUNKS, CHUNK))
    });

    let mut client = Client::connect_small_window(addr);
    client.send("GET", "/big");
    let head = client.read_head();
    let length = BIG_CHUNKS * CHUNK;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-length"), Some(&*length.to_string()));
    client.skip_bytes(length / 2);

    // Paused half-way: the handler returned long ago and the server has sent megabytes, but the
    // body has not reached its end, so its task must not have started.
    prove_tasks_flow(addr, &events, "/probe");
    assert!(
        !events.contains("big body end"),
        "the body ended while the client was paused: the socket buffers held the rest, so this \
         check proves nothing; log: {:?}",
        events.snapshot()
    );
    assert!(
        !events.contains("big task started"),
        "a task started before the body ended, while the client was paused; log: {:?}",
        events.snapshot()
    );

    client.skip_bytes(length - length / 2);
    events.wait_for("big task started");
    events.assert_order(["big body end", "big task started"]);
    assert_ran(&reports.take("/big"), 200);
}

/// How a held body tells its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Length {
    /// Exactly, by its own `size_hint`: sent with `Content-Length`.
    Exact,
    /// Not at all: sent chunked.
    Unknown,
    /// Only by the response's `Content-Length` header, as a streamed file download.
    Declared,
}

/// A response of 4 × 1 KiB whose last chunk is held until the check opens a gate, behind a layer
/// with `on_disconnect`: while it is held, another connection's task runs and this one's must not
/// have started; once it is sent, the task runs and the response counts as completed.
pub(super) fn tasks_wait_for_a_held_body<H: HttpHarness>(
    length: Length,
    on_disconnect: OnDisconnect,
) {
    let harness = H::new();
    let (events, reports) = (Events::default(), Reports::default());
    let layer = BackgroundTasksLayer::new(harness.executor())
        .on_disconnect(on_disconnect)
        .on_report(reports.hook());
    let (open, gate) = oneshot::channel::<()>();
    let (e, gate) = (events.clone(), Slot::new(gate));
    let addr = serve(&harness, layer, move |request| {
        if request.uri().path() != "/held" {
            return probe(&request, &e);
        }
        let log = e.clone();
        queue().add_async_task(async move { log.push("held task started") });
        let body = Chunks::new(&e, "held", 4, 1024).held_by(gate.take());
        match length {
            Length::Exact => chunks(body),
            Length::Unknown => chunks(body.streamed()),
            Length::Declared => {
                let body = body.declared();
                let declared = body.content_length();
                let mut response = chunks(body);
                response
                    .headers_mut()
                    .insert(http::header::CONTENT_LENGTH, declared);
                response
            }
        }
    });

    let mut client = Client::connect(addr);
    client.send("GET", "/held");
    // The body is being sent (so the handler's future has resolved) and waits at the gate.
    events.wait_for("held held");
    prove_tasks_flow(addr, &events, "/probe");
    assert!(
        !events.contains("held task started"),
        "a task started before the body ended; log: {:?}",
        events.snapshot()
    );

    open.send(()).expect("the body waits at the gate");
    let head = client.read_head();
    if length == Length::Unknown {
        assert_eq!(head.header("transfer-encoding"), Some("chunked"));
    } else {
        assert_eq!(head.header("content-length"), Some("4096"));
    }
    assert_eq!(client.read_body("GET", &head).len(), 4096);
    events.wait_for("held task started");
    events.assert_order(["held held", "held body end", "held task started"]);
    assert_ran(&reports.take("/held"), 200);
}

/// C8: a body with a `Content-Length`, which the server stops polling after its last chunk: the
/// tasks start only once that chunk has been handed over.
pub fn c08_content_length_body_runs_tasks_after_its_last_frame<H: HttpHarness>() {
    tasks_wait_for_a_held_body::<H>(Length::Exact, OnDisconnect::Run);
}

/// C8: a chunked stream of unknown length, polled until it returns its end: the tasks start only
/// then.
pub fn c08_chunked_stream_runs_tasks_after_its_end<H: HttpHarness>() {
    tasks_wait_for_a_held_body::<H>(Length::Unknown, OnDisconnect::Run);
}

/// Sends `method /` to a handler that queues a task and answers with `respond`; checks that the
/// task ran after the handler and that the layer reports a completed response with `status`.
fn tasks_run_after<H: HttpHarness>(
    method: &str,
    status: u16,
    respond: fn(&Events) -> Response<HttpBody>,
) -> (Head, Vec<u8>, Events) {
    let harness = H::new();
    let (events, reports) = (Events::default(), Reports::default());
    let layer = BackgroundTasksLayer::new(harness.executor()).on_report(reports.hook());
    let e = events.clone();
    let addr = serve(&harness, layer, move |_request| {
        e.push("handler");
        let log = e.clone();
        queue().add_async_task(async move { log.push("task started") });
        respond(&e)
    });

    let mut client = Client::connect(addr);
    let (head, body) = client.request(method, "/");
    assert_eq!(head.status, status);
    assert_ran(&reports.take("/"), status);
    events.assert_order(["handler", "task started"]);

    // The connection is still usable: the server did not wait for anything the response lacked.
    assert_eq!(client.request(method, "/").0.status, status);
    assert_ran(&reports.take("/"), status);
    (head, body, events)
}

/// C8: a `Full` body (sent with `Content-Length`, never polled to its end) runs its tasks.
pub fn c08_full_body_runs_tasks<H: HttpHarness>() {
    let (head, body, _) = tasks_run_after::<H>("GET", 200, |_| text("hello"));
    assert_eq!(head.header("content-length"), Some("5"));
    assert_eq!(body, b"hello");
}

/// C8: an empty body (over before it starts, never polled) runs its tasks.
pub fn c08_empty_body_runs_tasks<H: HttpHarness>() {
    let (head, body, _) =
        tasks_run_after::<H>("GET", 200, |_| respond(StatusCode::OK, boxed(Empty::new())));
    assert_eq!(head.header("content-length"), Some("0"));
    assert!(body.is_empty());
}

/// C8: a `204 No Content` response, whose body the server never polls, runs its tasks.
pub fn c08_no_content_runs_tasks<H: HttpHarness>() {
    tasks_run_after::<H>("GET", 204, |_| {
        respond(StatusCode::NO_CONTENT, boxed(Empty::new()))
    });
}

/// C8: the response to a `HEAD` request, whose body is never sent (nor polled), runs its tasks.
pub fn c08_head_request_runs_tasks<H: HttpHarness>() {
    let (_, body, events) = tasks_run_after::<H>("HEAD", 200, |events| {
        chunks(Chunks::new(events, "head", 4, 1024))
    });
    assert!(body.is_empty());
    assert!(
        !events.contains("head body end"),
        "no body is sent in response to HEAD; log: {:?}",
        events.snapshot()
    );
}

/// C9: across many requests on one keep-alive connection, with bodies of every kind that pause
/// before their last chunk, each response's body ends before its task starts, and the client gets
/// every response whole.
pub fn c09_each_response_is_complete_before_its_tasks_start<H: HttpHarness>() {
    const REQUESTS: usize = 24;
    let harness = H::new();
    let (events, reports) = (Events::default(), Reports::default());
    let layer = BackgroundTasksLayer::new(harness.executor()).on_report(reports.hook());
    let e = events.clone();
    let addr = serve(&harness, layer, move |request| {
        let i: usize = request.uri().path()[1..].parse().expect("/{i}");
        let log = e.clone();
        queue().add_async_task(async move { log.push(format!("{i} task started")) });
        // One exact chunk (as `Full`), four exact chunks, a chunked stream.
        let body = match i % 3 {
            0 => Chunks::new(&e, i.to_string(), 1, 1024),
            1 => Chunks::new(&e, i.to_string(), 4, 1024),
            _ => Chunks::new(&e, i.to_string(), 4, 1024).streamed(),
        };
        let mut response = chunks(body.yielding(3));
        response
            .headers_mut()
            .insert("x-request", i.to_string().parse().expect("a header value"));
        response
    });

    let mut client = Client::connect(addr);
    for i in 0..REQUESTS {
        let (head, body) = client.request("GET", &format!("/{i}"));
        assert_eq!(head.status, 200);
        assert_eq!(head.header("x-request"), Some(&*i.to_string()));
        assert_eq!(body.len(), if i % 3 == 0 { 1024 } else { 4096 });
    }
    for i in 0..REQUESTS {
        events.wait_for(&format!("{i} task started"));
        events.assert_order([&*format!("{i} body end"), &*format!("{i} task started")]);
        assert_ran(&reports.take(&format!("/{i}")), 200);
    }
}

/// C10: a sync task that blocks and an async task that waits (both until the check releases them)
/// delay neither the next request on the same keep-alive connection nor one on another
/// connection.
pub fn c10_waiting_tasks_delay_neither_the_connection_nor_others<H: HttpHarness>() {
    let harness = H::new();
    let events = Events::default();
    let layer = BackgroundTasksLayer::new(harness.executor());
    let (release_blocked, blocked) = mpsc::channel::<()>();
    let (release_waiting, waiting) = oneshot::channel::<()>();
    let (blocked, waiting) = (Slot::new(blocked), Slot::new(waiting));
    let e = events.clone();
    let addr = serve(&harness, layer, move |request| {
        let log = e.clone();
        match request.uri().path() {
            "/block" => {
                let blocked = blocked.take();
                queue().add_task(move || {
                    log.push("blocking task started");
                    // The bound only ends a failing check; the check releases it.
                    let _ = blocked.recv_timeout(WAIT_LIMIT);
                    log.push("blocking task ended");
                });
            }
            "/wait" => {
                let waiting = waiting.take();
                queue().add_async_task(async move {
                    log.push("waiting task started");
                    let _ = waiting.await;
                    log.push("waiting task ended");
                });
            }
            _ => return text("pong"),
        }
        text("queued")
    });

    let mut client = Client::connect(addr);
    assert_eq!(client.request("GET", "/block").1, b"queued");
    events.wait_for("blocking task started");
    assert_eq!(client.request("GET", "/wait").1, b"queued");
    events.wait_for("waiting task started");

    // Both tasks are held: the same connection and a new one still answer.
    assert_eq!(client.request("GET", "/ping").1, b"pong");
    assert_eq!(Client::connect(addr).request("GET", "/ping").1, b"pong");
    assert!(
        !events.contains("blocking task ended") && !events.contains("waiting task ended"),
        "the tasks were released before the requests were answered; log: {:?}",
        events.snapshot()
    );

    release_blocked.send(()).expect("the blocking task waits");
    release_waiting.send(()).expect("the waiting task waits");
    events.wait_for("blocking task ended");
    events.wait_for("waiting task ended");
}

/// `/big` streams 16 MiB with a task; anything else is a probe.
fn serve_big<H: HttpHarness>(
    harness: &H,
    on_disconnect: OnDisconnect,
) -> (SocketAddr, Events, Reports) {
    let (events, reports) = (Events::default(), Reports::default());
    let layer = BackgroundTasksLayer::new(harness.executor())
        .on_disconnect(on_disconnect)
        .on_report(reports.hook());
    let e = events.clone();
    let addr = serve(harness, layer, move |request| {
        if request.uri().path() != "/big" {
            return probe(&request, &e);
        }
        let log = e.clone();
        queue().add_async_task(async move { log.push("big task started") });
        chunks(Chunks::new(&e, "big", BIG_CHUNKS, CHUNK))
    });
    (addr, events, reports)
}

/// Reads the head and one chunk of `/big`, then hangs up with the rest unread.
fn leave_mid_body(addr: SocketAddr) {
    let mut client = Client::connect_small_window(addr);
    client.send("GET", "/big");
    assert_eq!(client.read_head().status, 200);
    client.skip_bytes(CHUNK);
}

/// C11: a client that goes away mid-body: by default its tasks still run, and the report says the
/// response was cut short.
pub fn c11_client_leaving_mid_body_still_runs_tasks_by_default<H: HttpHarness>() {
    let harness = H::new();
    let (addr, events, reports) = serve_big(&harness, OnDisconnect::default());
    leave_mid_body(addr);

    let report = reports.take("/big");
    assert_eq!(
        (report.status(), report.ending(), report.decision()),
        (Some(StatusCode::OK), Ending::CutShort, Decision::Ran),
        "{report:?}"
    );
    assert_eq!(outcomes(&report), [Outcome::Succeeded]);
    events.wait_for("big task started");
    assert!(!events.contains("big body end"), "{:?}", events.snapshot());
}

/// C11: with `OnDisconnect::Skip`, a client that goes away mid-body has its tasks discarded, and
/// reported as such.
pub fn c11_skip_discards_tasks_when_the_client_leaves_mid_body<H: HttpHarness>() {
    let harness = H::new();
    let (addr, events, reports) = serve_big(&harness, OnDisconnect::Skip);
    leave_mid_body(addr);

    let report = reports.take("/big");
    assert_eq!(
        (report.status(), report.ending(), report.decision()),
        (
            Some(StatusCode::OK),
            Ending::CutShort,
            Decision::SkippedOnDisconnect
        ),
        "{report:?}"
    );
    assert_eq!(outcomes(&report), [Outcome::Discarded]);
    prove_tasks_flow(addr, &events, "/probe");
    assert!(
        !events.contains("big task started"),
        "{:?}",
        events.snapshot()
    );
}

/// C11: a client that goes away while the handler is still working cancels it; that is a
/// disconnect too, reported as such, and the setting decides whether the tasks run.
pub fn c11_client_leaving_while_the_handler_works_is_a_disconnect<H: HttpHarness>() {
    for on_disconnect in [OnDisconnect::Run, OnDisconnect::Skip] {
        let harness = H::new();
        let (events, reports) = (Events::default(), Reports::default());
        let layer = BackgroundTasksLayer::new(harness.executor())
            .on_disconnect(on_disconnect)
            .on_report(reports.hook());
        let e = events.clone();
        let addr = serve_async(&harness, layer, move |_request| {
            let (events, tasks) = (e.clone(), queue());
            async move {
                let log = events.clone();
                tasks.add_async_task(async move { log.push("task started") });
                events.push("handler waiting");
                match std::future::pending::<Infallible>().await {}
            }
        });

        let mut client = Client::connect(addr);
        client.send("GET", "/stuck");
        events.wait_for("handler waiting");
        drop(client);

        let report = reports.take("/stuck");
        assert_eq!(
            (report.status(), report.ending()),
            (None, Ending::Cancelled),
            "{report:?}"
        );
        if on_disconnect == OnDisconnect::Run {
            assert_eq!(report.decision(), Decision::Ran, "{report:?}");
            events.wait_for("task started");
        } else {
            assert_eq!(
                (report.decision(), outcomes(&report)),
                (Decision::SkippedOnDisconnect, vec![Outcome::Discarded]),
                "{report:?}"
            );
        }
    }
}

/// `/{code}` answers with that status and queues a sync task logging `"task for {code}"`.
fn serve_statuses<H: HttpHarness>(
    harness: &H,
    statuses: Statuses,
) -> (SocketAddr, Events, Reports) {
    let (events, reports) = (Events::default(), Reports::default());
    let layer = BackgroundTasksLayer::new(harness.executor())
        .statuses(statuses)
        .on_report(reports.hook());
    let e = events.clone();
    let addr = serve(harness, layer, move |request| {
        let code: u16 = request.uri().path()[1..].parse().expect("/{code}");
        let (log, entry) = (e.clone(), format!("task for {code}"));
        queue().add_task(move || log.push(entry));
        let status = StatusCode::from_u16(code).expect("a status code");
        respond(status, boxed(Full::from(status.to_string())))
    });
    (addr, events, reports)
}

/// C12: by default tasks run whatever the status, client and server errors included.
pub fn c12_error_statuses_run_tasks_by_default<H: HttpHarness>() {
    let harness = H::new();
    let (addr, events, reports) = serve_statuses(&harness, Statuses::default());
    let mut client = Client::connect(addr);
    for code in [200, 404, 500] {
        assert_eq!(client.request("GET", &format!("/{code}")).0.status, code);
        assert_ran(&reports.take(&format!("/{code}")), code);
        events.wait_for(&format!("task for {code}"));
    }
}

/// C12: `Statuses::Success` discards (and reports) the tasks of error responses, and runs those of
/// success and redirection responses.
pub fn c12_success_only_discards_tasks_of_error_responses<H: HttpHarness>() {
    let harness = H::new();
    let (addr, events, reports) = serve_statuses(&harness, Statuses::Success);
    let mut client = Client::connect(addr);
    for code in [404, 500] {
        assert_eq!(client.request("GET", &format!("/{code}")).0.status, code);
        let report = reports.take(&format!("/{code}"));
        assert_eq!(
            (report.ending(), report.decision(), outcomes(&report)),
            (
                Ending::Completed,
                Decision::SkippedForStatus,
                vec![Outcome::Discarded]
            ),
            "{report:?}"
        );
    }
    for code in [200, 303] {
        assert_eq!(client.request("GET", &format!("/{code}")).0.status, code);
        assert_ran(&reports.take(&format!("/{code}")), code);
        events.wait_for(&format!("task for {code}"));
    }
    let log = events.snapshot();
    assert!(
        !log.iter()
            .any(|e| e == "task for 404" || e == "task for 500"),
        "{log:?}"
    );
}

/// C12: a handler that panics, behind tower-http's `CatchPanicLayer` (which answers `500`), runs
/// none of its tasks, whether it panics while building its future or while it is polled; they are
/// reported as discarded, and the connection goes on serving.
pub fn c12_panicking_handler_runs_none_of_its_tasks<H: HttpHarness>() {
    quiet_deliberate_panics();
    let harness = H::new();
    let (events, reports) = (Events::default(), Reports::default());
    let layer = BackgroundTasksLayer::new(harness.executor()).on_report(reports.hook());
    let e = events.clone();
    let router = service_fn(move |request: Request<Incoming>| {
        let (path, tasks) = (request.uri().path().to_owned(), queue());
        let (log, ran) = (e.clone(), format!("{path} task ran"));
        tasks.add_async_task(async move { log.push(ran) });
        if path == "/panic-in-call" {
            panic!("{DELIBERATE} in the handler's call");
        }
        async move {
            if path == "/panic-in-future" {
                panic!("{DELIBERATE} in the handler's future");
            }
            Ok::<_, Infallible>(text("fine"))
        }
    });
    // Outside the layer, as the layer's docs ask: the panic passes through it on its way out.
    let service = CatchPanicLayer::new().layer(layer.layer(router));
    let addr = serve_service(&harness, boxed_service(service));

    let mut client = Client::connect(addr);
    for path in ["/panic-in-call", "/panic-in-future"] {
        assert_eq!(client.request("GET", path).0.status, 500);
        let report = reports.take(path);
        assert_eq!(
            (report.status(), report.ending(), report.decision()),
            (None, Ending::Panicked, Decision::NoResponse),
            "{report:?}"
        );
        assert_eq!(outcomes(&report), [Outcome::Discarded]);
    }
    // The same connection still serves, and its tasks run: the panicked ones never will.
    assert_eq!(client.request("GET", "/fine").1, b"fine");
    events.wait_for("/fine task ran");
    assert_ran(&reports.take("/fine"), 200);
    let log = events.snapshot();
    assert!(!log.iter().any(|e| e.starts_with("/panic")), "{log:?}");
}
