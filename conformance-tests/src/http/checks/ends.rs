//! C8's end of a body, whichever way the server learns it: a streamed body that only a
//! `Content-Length` header bounds, a file download, a compressed body, an event stream, and a body
//! that stops short of what it declared.

use std::convert::Infallible;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use background_tasks::Outcome;
use background_tasks_tower::{BackgroundTasksLayer, Decision, Ending, OnDisconnect};
use futures_channel::{mpsc, oneshot};
use http::{Request, StatusCode};
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use hyper::body::{Bytes, Incoming};
use tower::{Layer, ServiceExt, service_fn};
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeFile;

use super::{
    Length, Slot, assert_ran, chunks, outcomes, probe, prove_tasks_flow, queue, serve_app,
    serve_service, tasks_wait_for_a_held_body, tower_probe,
};
use crate::http::{
    App, Chunks, Client, EventStream, Events, HttpHarness, Reply, ReplyBody, Reports, TowerHarness,
    boxed_service,
};

/// A streamed body whose response declares its length (`Content-Length`), as a file download
/// does: the server stops polling after the last declared byte and drops the body without ever
/// seeing its end. That is a completed response, whatever [`OnDisconnect`] says: the tasks start
/// after the last chunk, not before, and none is discarded.
pub fn c08_streamed_body_with_content_length_runs_tasks_after_its_last_byte<H: HttpHarness>() {
    for on_disconnect in [OnDisconnect::Run, OnDisconnect::Skip] {
        tasks_wait_for_a_held_body::<H>(Length::Declared, on_disconnect);
    }
}

/// A body that declares more bytes than it sends is cut short (the client never gets the whole
/// response), and reported so; the setting decides whether its tasks run.
pub fn c08_body_short_of_its_content_length_is_cut_short<H: HttpHarness>() {
    for on_disconnect in [OnDisconnect::Run, OnDisconnect::Skip] {
        let harness = H::new();
        let (events, reports) = (Events::default(), Reports::default());
        let e = events.clone();
        let app = App::new(&reports, move |request, tasks| {
            if request.path != "/short" {
                return probe(request, tasks, &e);
            }
            let log = e.clone();
            tasks.add_async_task(async move { log.push("short task started") });
            // Two 1 KiB chunks under a header that promises four.
            Reply::chunks(Chunks::new(&e, "short", 2, 1024).streamed())
                .declaring(4096)
                .into()
        })
        .on_disconnect(on_disconnect);
        let addr = serve_app(&harness, app);

        let mut client = Client::connect(addr);
        client.send("GET", "/short");
        // hyper may not even flush the head before it gives up on the body: take what came.
        let received = client.read_to_close();
        let body = received
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map_or(0, |head_end| received.len() - head_end - 4);
        assert!(body < 4096, "the client got every declared byte");

        let report = reports.take("/short");
        assert_eq!(
            (report.status(), report.ending()),
            (Some(StatusCode::OK), Ending::CutShort),
            "{report:?}"
        );
        match on_disconnect {
            OnDisconnect::Skip => {
                assert_eq!(
                    (report.decision(), outcomes(&report)),
                    (Decision::SkippedOnDisconnect, vec![Outcome::Discarded]),
                    "{report:?}"
                );
                prove_tasks_flow(addr, &events, "/probe");
                assert!(!events.contains("short task started"), "{report:?}");
            }
            _ => {
                assert_eq!(report.decision(), Decision::Ran, "{report:?}");
                events.wait_for("short task started");
            }
        }
    }
}

/// The size of the file [`c08_served_file_runs_tasks_after_its_last_byte`] serves: far more than
/// the small socket buffers hold.
const FILE_SIZE: usize = 4 * 1024 * 1024;

/// tower-http's `ServeFile` sends a real file of 4 MiB to a client that reads half of it and
/// pauses: no task has started then (while another connection's task runs); once the client has
/// read the last byte, the task runs and the response counts as completed.
///
/// `ServeFile` reads through `tokio::fs`, so its calls are made inside a tokio runtime's context
/// whatever runtime serves them, as a smol or async-std application using it
/// must do too.
pub fn c08_served_file_runs_tasks_after_its_last_byte<H: TowerHarness>() {
    let file = TempFile::filled(FILE_SIZE);
    let harness = H::new();
    let (events, reports) = (Events::default(), Reports::default());
    let layer = BackgroundTasksLayer::new(harness.executor()).on_report(reports.hook());
    let (e, files) = (events.clone(), ServeFile::new(file.path()));
    let router = service_fn(move |request: Request<Incoming>| {
        let (events, files) = (e.clone(), files.clone());
        async move {
            if request.uri().path() != "/file" {
                return Ok::<_, Infallible>(tower_probe(&request, &events));
            }
            queue().add_async_task(async move { events.push("file task started") });
            let response = in_tokio(files.oneshot(request))
                .await
                .expect("ServeFile never fails");
            Ok(response.map(|body| InTokio(Box::pin(body)).map_err(Into::into).boxed_unsync()))
        }
    });
    let addr = serve_service(&harness, boxed_service(layer.layer(router)));

    let mut client = Client::connect_small_window(addr);
    client.send("GET", "/file");
    let head = client.read_head();
    assert_eq!(head.status, 200);
    assert_eq!(
        head.header("content-length"),
        Some(&*FILE_SIZE.to_string()),
        "{head:?}"
    );
    client.skip_bytes(FILE_SIZE / 2);

    prove_tasks_flow(addr, &events, "/probe");
    assert!(
        !events.contains("file task started"),
        "a task started while the client had read half of the file; log: {:?}",
        events.snapshot()
    );

    let rest = client.read_bytes(FILE_SIZE - FILE_SIZE / 2);
    assert_eq!(rest.last(), Some(&TempFile::byte_at(FILE_SIZE - 1)));
    events.wait_for("file task started");
    assert_ran(&reports.take("/file"), 200);
}

/// tower-http's `CompressionLayer`, outside and inside `BackgroundTasksLayer`: the client gets a
/// gzip-encoded, chunked response, and the tasks start after the handler's body has ended, never
/// while its last chunk is held.
///
/// Users want `BackgroundTasksLayer` outside (added after `CompressionLayer` in axum's `.layer`
/// order): it then wraps the body the server writes, so the tasks start after the compressor's
/// last bytes. Inside, it sees the handler's body end when the compressor has read it, which may
/// be a flush before the last compressed bytes are handed over. Both orders are checked here.
pub fn c08_compressed_body_runs_tasks_after_its_end<H: TowerHarness>() {
    for compression in [Compression::Outside, Compression::Inside] {
        let harness = H::new();
        let (events, reports) = (Events::default(), Reports::default());
        let layer = BackgroundTasksLayer::new(harness.executor()).on_report(reports.hook());
        let (open, gate) = oneshot::channel::<()>();
        let (e, gate) = (events.clone(), Slot::new(gate));
        let router = service_fn(move |request: Request<Incoming>| {
            if request.uri().path() != "/report" {
                return std::future::ready(Ok::<_, Infallible>(tower_probe(&request, &e)));
            }
            let log = e.clone();
            queue().add_async_task(async move { log.push("report task started") });
            let body = Chunks::new(&e, "report", 4, 1024).held_by(gate.take());
            std::future::ready(Ok(chunks(body)))
        });
        let service = match compression {
            Compression::Outside => {
                boxed_service(CompressionLayer::new().layer(layer.layer(router)))
            }
            Compression::Inside => {
                boxed_service(layer.layer(CompressionLayer::new().layer(router)))
            }
        };
        let addr = serve_service(&harness, service);

        let mut client = Client::connect(addr);
        client.send_with_headers("GET", "/report", &[("accept-encoding", "gzip")]);
        events.wait_for("report held");
        prove_tasks_flow(addr, &events, "/probe");
        assert!(
            !events.contains("report task started"),
            "{compression:?}: a task started before the body ended; log: {:?}",
            events.snapshot()
        );

        open.send(()).expect("the body waits at the gate");
        let head = client.read_head();
        assert_eq!(
            (
                head.header("content-encoding"),
                head.header("transfer-encoding")
            ),
            (Some("gzip"), Some("chunked")),
            "{compression:?}: {head:?}"
        );
        let compressed = client.read_body("GET", &head);
        assert!(compressed.len() < 4096, "{compression:?}: not compressed");
        events.wait_for("report task started");
        events.assert_order(["report held", "report body end", "report task started"]);
        assert_ran(&reports.take("/report"), 200);
    }
}

#[derive(Debug, Clone, Copy)]
enum Compression {
    Outside,
    Inside,
}

/// How many events [`c08_event_stream_runs_tasks_after_the_last_event`] sends.
const EVENTS: usize = 5;

/// A server-sent-events stream that ends after five events, each released by the check: while
/// any event is still to come, no task has started (though another connection's task runs); after
/// the last one, the stream ends and the task runs.
pub fn c08_event_stream_runs_tasks_after_the_last_event<H: HttpHarness>() {
    let harness = H::new();
    let (events, reports) = (Events::default(), Reports::default());
    let (sender, receiver) = mpsc::unbounded::<Bytes>();
    let (e, receiver) = (events.clone(), Slot::new(receiver));
    let app = App::new(&reports, move |request, tasks| {
        if request.path != "/events" {
            return probe(request, tasks, &e);
        }
        let log = e.clone();
        tasks.add_async_task(async move { log.push("events task started") });
        let stream = EventStream::new(receiver.take(), &e);
        Reply::new(StatusCode::OK, ReplyBody::Events(stream))
            .header("content-type", "text/event-stream")
            .into()
    });
    let addr = serve_app(&harness, app);

    let mut client = Client::connect(addr);
    client.send("GET", "/events");
    for i in 0..EVENTS {
        let event = format!("data: event {i}\n\n");
        sender
            .unbounded_send(Bytes::from(event.clone()))
            .expect("the stream is open");
        if i == 0 {
            let head = client.read_head();
            assert_eq!(
                head.header("transfer-encoding"),
                Some("chunked"),
                "{head:?}"
            );
        }
        assert_eq!(client.read_chunk(), event.as_bytes());
        if i == 0 {
            prove_tasks_flow(addr, &events, "/probe");
        }
        assert!(
            !events.contains("events task started"),
            "a task started after event {i} of {EVENTS}; log: {:?}",
            events.snapshot()
        );
    }
    sender.close_channel();
    assert!(client.read_chunk().is_empty(), "the stream's last chunk");
    events.wait_for("events task started");
    events.assert_order(["events body end", "events task started"]);
    assert_ran(&reports.take("/events"), 200);
}

/// A tokio runtime for `tokio::fs`, whatever runtime serves: only its blocking pool is used, and
/// a blocking job needs no driver to wake whoever awaits it.
fn tokio_context() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("building a tokio runtime for tokio::fs")
    })
}

/// Polls `future` inside the tokio runtime's context.
async fn in_tokio<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    std::future::poll_fn(|cx| {
        let _context = tokio_context().enter();
        future.as_mut().poll(cx)
    })
    .await
}

/// A body polled inside the tokio runtime's context.
struct InTokio<B>(Pin<Box<B>>);

impl<B: Body> Body for InTokio<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
        let _context = tokio_context().enter();
        self.0.as_mut().poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.0.size_hint()
    }
}

/// A file in the system's temporary directory, removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    /// A new file of `len` bytes, byte `i` being [`byte_at(i)`](Self::byte_at).
    fn filled(len: usize) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "background-tasks-conformance-{}-{}.bin",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let contents: Vec<u8> = (0..len).map(Self::byte_at).collect();
        std::fs::File::create(&path)
            .and_then(|mut file| file.write_all(&contents))
            .unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        Self(path)
    }

    fn byte_at(i: usize) -> u8 {
        (i % 251) as u8
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
