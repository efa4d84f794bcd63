//! C8 and C9: a queue starts only once its response has ended, whatever the body, and the client
//! has the whole response before the first task starts.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Waker};

use background_tasks::Runner;
use background_tasks_tower::OnDisconnect;
use futures_channel::oneshot;
use http::StatusCode;

use crate::http::{
    Action, App, Chunks, Client, Events, Head, HttpHarness, Reply, ReplyBody, Reports,
};

use super::{BIG_CHUNKS, CHUNK, Slot, assert_ran, probe, prove_tasks_flow, serve_app};

/// C8: a client that stops reading half-way through a 16 MiB response holds its tasks back: while
/// it is paused (and another connection's task runs), none has started; once it reads the rest,
/// they run, after the body's end.
pub fn c08_paused_client_delays_tasks_until_it_reads_the_rest<H: HttpHarness>() {
    let harness = H::new();
    let (events, reports) = (Events::default(), Reports::default());
    let e = events.clone();
    let app = App::new(&reports, move |request, tasks| {
        if request.path != "/big" {
            return probe(request, tasks, &e);
        }
        let log = e.clone();
        tasks.add_async_task(async move { log.push("big task started") });
        Reply::chunks(Chunks::new(&e, "big", BIG_CHUNKS, CHUNK)).into()
    });
    let addr = serve_app(&harness, app);

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
    let (open, gate) = oneshot::channel::<()>();
    let (e, gate) = (events.clone(), Slot::new(gate));
    let app = App::new(&reports, move |request, tasks| {
        if request.path != "/held" {
            return probe(request, tasks, &e);
        }
        let log = e.clone();
        tasks.add_async_task(async move { log.push("held task started") });
        let body = Chunks::new(&e, "held", 4, 1024).held_by(gate.take());
        Reply::chunks(match length {
            Length::Exact => body,
            Length::Unknown => body.streamed(),
            // The response's `Content-Length` header says how long it is.
            Length::Declared => body.declared(),
        })
        .into()
    })
    .on_disconnect(on_disconnect);
    let addr = serve_app(&harness, app);

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
    respond: fn(&Events) -> Reply,
) -> (Head, Vec<u8>, Events) {
    let harness = H::new();
    let (events, reports) = (Events::default(), Reports::default());
    let e = events.clone();
    let app = App::new(&reports, move |_request, tasks| {
        e.push("handler");
        let log = e.clone();
        tasks.add_async_task(async move { log.push("task started") });
        respond(&e).into()
    });
    let addr = serve_app(&harness, app);

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
    let (head, body, _) = tasks_run_after::<H>("GET", 200, |_| Reply::text("hello"));
    assert_eq!(head.header("content-length"), Some("5"));
    assert_eq!(body, b"hello");
}

/// C8: an empty body (over before it starts, never polled) runs its tasks.
pub fn c08_empty_body_runs_tasks<H: HttpHarness>() {
    let (head, body, _) =
        tasks_run_after::<H>("GET", 200, |_| Reply::new(StatusCode::OK, ReplyBody::Empty));
    assert_eq!(head.header("content-length"), Some("0"));
    assert!(body.is_empty());
}

/// C8: a `204 No Content` response, whose body the server never polls, runs its tasks.
pub fn c08_no_content_runs_tasks<H: HttpHarness>() {
    tasks_run_after::<H>("GET", 204, |_| {
        Reply::new(StatusCode::NO_CONTENT, ReplyBody::Empty)
    });
}

/// C8: the response to a `HEAD` request, whose body is never sent (nor polled, by hyper; polled to
/// its end and discarded, by actix-web), runs its tasks.
pub fn c08_head_request_runs_tasks<H: HttpHarness>() {
    let (_, body, events) = tasks_run_after::<H>("HEAD", 200, |events| {
        Reply::chunks(Chunks::new(events, "head", 4, 1024))
    });
    assert!(body.is_empty());
    if H::POLLS_HEAD_BODIES {
        // The server read the body to its end and sent none of it: the tasks start after that.
        events.assert_order(["head body end", "task started"]);
    } else {
        assert!(
            !events.contains("head body end"),
            "no body is sent in response to HEAD; log: {:?}",
            events.snapshot()
        );
    }
}

/// C9: across many requests on one keep-alive connection, with bodies of every kind that pause
/// before their last chunk, each response's body ends before its task starts, and the client gets
/// every response whole.
pub fn c09_each_response_is_complete_before_its_tasks_start<H: HttpHarness>() {
    const REQUESTS: usize = 24;
    let harness = H::new();
    let (events, reports) = (Events::default(), Reports::default());
    let e = events.clone();
    let app = App::new(&reports, move |request, tasks| {
        let i: usize = request.path[1..].parse().expect("/{i}");
        let log = e.clone();
        tasks.add_async_task(async move { log.push(format!("{i} task started")) });
        // One exact chunk (as `Full`), four exact chunks, a chunked stream.
        let body = match i % 3 {
            0 => Chunks::new(&e, i.to_string(), 1, 1024),
            1 => Chunks::new(&e, i.to_string(), 4, 1024),
            _ => Chunks::new(&e, i.to_string(), 4, 1024).streamed(),
        };
        Action::Respond(Reply::chunks(body.yielding(3)).header("x-request", i.to_string()))
    });
    let addr = serve_app(&harness, app);

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

/// C16: `Runner::idle` waits for a queue whose response is still being sent. A test that awaits
/// it before reading the body must not see it resolve before the tasks have run: the queue is in
/// the runner's books from its first task, not only once it is handed over.
pub fn c16_idle_waits_for_a_response_still_being_sent<H: HttpHarness>() {
    let harness = H::new();
    let runner = Runner::new(harness.executor());
    let (events, reports) = (Events::default(), Reports::default());
    let (open, gate) = oneshot::channel::<()>();
    let (e, gate) = (events.clone(), Slot::new(gate));
    let app = App::new(&reports, move |_request, tasks| {
        let log = e.clone();
        tasks.add_async_task(async move { log.push("held task ran") });
        Reply::chunks(Chunks::new(&e, "held", 2, 1024).held_by(gate.take())).into()
    })
    .runner(runner.clone());
    let addr = serve_app(&harness, app);

    let mut client = Client::connect(addr);
    client.send("GET", "/held");
    // The handler has returned and its body waits at the gate: the queue is not handed over.
    events.wait_for("held held");
    let mut idle = pin!(runner.idle());
    let first = idle.as_mut().poll(&mut Context::from_waker(Waker::noop()));
    assert!(
        first.is_pending(),
        "idle resolved while a queued task's response was still being sent"
    );

    open.send(()).expect("the body waits at the gate");
    let head = client.read_head();
    assert_eq!(client.read_body("GET", &head).len(), 2048);
    harness.block_on(idle);
    assert!(
        events.contains("held task ran"),
        "idle resolved before the task ran; log: {:?}",
        events.snapshot()
    );
    assert_ran(&reports.take("/held"), 200);
}
