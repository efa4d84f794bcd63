//! C8's end of a body, whichever way the server learns it: a streamed body that only a
//! `Content-Length` header bounds, a file download, a compressed body, an event stream, and a body
//! that stops short of what it declared.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use background_tasks::Outcome;
use background_tasks_tower::{Decision, Ending, OnDisconnect};
use futures_channel::{mpsc, oneshot};
use http::StatusCode;
use hyper::body::Bytes;

use super::{
    Length, Slot, assert_ran, outcomes, probe, prove_tasks_flow, serve_app,
    tasks_wait_for_a_held_body,
};
use crate::http::{
    Action, App, Chunks, Client, Compression, EventStream, Events, HttpHarness, Reply, ReplyBody,
    Reports,
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

/// The framework's own file server (tower-http's `ServeFile`, actix-files' `NamedFile`) sends a
/// real file of 4 MiB to a client that reads half of it and pauses: no task has started then
/// (while another connection's task runs); once the client has read the last byte, the task runs
/// and the response counts as completed.
pub fn c08_served_file_runs_tasks_after_its_last_byte<H: HttpHarness>() {
    let file = TempFile::filled(FILE_SIZE);
    let harness = H::new();
    let (events, reports) = (Events::default(), Reports::default());
    let (e, path) = (events.clone(), file.path().to_owned());
    let app = App::new(&reports, move |request, tasks| {
        if request.path != "/file" {
            return probe(request, tasks, &e);
        }
        let log = e.clone();
        tasks.add_async_task(async move { log.push("file task started") });
        Action::File(path.clone())
    });
    let addr = serve_app(&harness, app);

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

/// The framework's compressor (tower-http's `CompressionLayer`, actix-web's `Compress`), outside
/// and inside the integration: the client gets a gzip-encoded, chunked response, and the tasks
/// start after the handler's body has ended, never while its last chunk is held.
///
/// Users want the integration outside the compressor ([`Compression::Inside`]; in axum's
/// `.layer` order, `BackgroundTasksLayer` added after `CompressionLayer`): it then wraps the body
/// the server writes, so the tasks start after the compressor's last bytes. With the compressor
/// outside, the integration sees the handler's body end when the compressor has read it, which may
/// be a flush before the last compressed bytes are handed over. Both orders are checked here.
pub fn c08_compressed_body_runs_tasks_after_its_end<H: HttpHarness>() {
    for compression in [Compression::Outside, Compression::Inside] {
        let harness = H::new();
        let (events, reports) = (Events::default(), Reports::default());
        let (open, gate) = oneshot::channel::<()>();
        let (e, gate) = (events.clone(), Slot::new(gate));
        let app = App::new(&reports, move |request, tasks| {
            if request.path != "/report" {
                return probe(request, tasks, &e);
            }
            let log = e.clone();
            tasks.add_async_task(async move { log.push("report task started") });
            Reply::chunks(Chunks::new(&e, "report", 4, 1024).held_by(gate.take())).into()
        })
        .compression(compression);
        let addr = serve_app(&harness, app);

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
