//! C11: a client that leaves before its response ended still has its tasks run by default,
//! unless `OnDisconnect::Skip` says otherwise; either way the report says so.

use std::net::SocketAddr;

use background_tasks::Outcome;
use background_tasks_tower::{Decision, Ending, OnDisconnect};
use http::StatusCode;

use crate::http::{Action, App, Chunks, Client, Events, HttpHarness, Reply, Reports};

use super::{BIG_CHUNKS, CHUNK, Length, outcomes, probe, prove_tasks_flow, serve_app};

/// `/big` streams 16 MiB with a task, with its length (`Length::Exact`) or chunked
/// (`Length::Unknown`); anything else is a probe.
fn serve_big<H: HttpHarness>(
    harness: &H,
    on_disconnect: OnDisconnect,
    length: Length,
) -> (SocketAddr, Events, Reports) {
    let (events, reports) = (Events::default(), Reports::default());
    let e = events.clone();
    let app = App::new(&reports, move |request, tasks| {
        if request.path != "/big" {
            return probe(request, tasks, &e);
        }
        let log = e.clone();
        tasks.add_async_task(async move { log.push("big task started") });
        let body = Chunks::new(&e, "big", BIG_CHUNKS, CHUNK);
        Reply::chunks(match length {
            Length::Unknown => body.streamed(),
            _ => body,
        })
        .into()
    })
    .on_disconnect(on_disconnect);
    let addr = serve_app(harness, app);
    (addr, events, reports)
}

/// Reads the head and one chunk of `/big`, then hangs up with the rest unread.
fn leave_mid_body(addr: SocketAddr) {
    let mut client = Client::connect_small_window(addr);
    client.send("GET", "/big");
    assert_eq!(client.read_head().status, 200);
    client.skip_bytes(CHUNK);
}

/// C11: a client that goes away mid-body (of a body with its length, and of a chunked stream,
/// which only its end says is over): by default its tasks still run, and the report says the
/// response was cut short.
pub fn c11_client_leaving_mid_body_still_runs_tasks_by_default<H: HttpHarness>() {
    for length in [Length::Exact, Length::Unknown] {
        leaving_mid_body_still_runs_tasks::<H>(length);
    }
}

fn leaving_mid_body_still_runs_tasks<H: HttpHarness>(length: Length) {
    let harness = H::new();
    let (addr, events, reports) = serve_big(&harness, OnDisconnect::default(), length);
    leave_mid_body(addr);

    let report = reports.take("/big");
    assert_eq!(
        (report.status(), report.ending(), report.decision()),
        (Some(StatusCode::OK), Ending::CutShort, Decision::Ran),
        "{length:?}: {report:?}"
    );
    assert_eq!(outcomes(&report), [Outcome::Succeeded]);
    events.wait_for("big task started");
    assert!(!events.contains("big body end"), "{:?}", events.snapshot());
}

/// C11: with `OnDisconnect::Skip`, a client that goes away mid-body (of a body with its length,
/// and of a chunked stream) has its tasks discarded, and reported as such.
pub fn c11_skip_discards_tasks_when_the_client_leaves_mid_body<H: HttpHarness>() {
    for length in [Length::Exact, Length::Unknown] {
        skip_discards_tasks_when_the_client_leaves::<H>(length);
    }
}

fn skip_discards_tasks_when_the_client_leaves<H: HttpHarness>(length: Length) {
    let harness = H::new();
    let (addr, events, reports) = serve_big(&harness, OnDisconnect::Skip, length);
    leave_mid_body(addr);

    let report = reports.take("/big");
    assert_eq!(
        (report.status(), report.ending(), report.decision()),
        (
            Some(StatusCode::OK),
            Ending::CutShort,
            Decision::SkippedOnDisconnect
        ),
        "{length:?}: {report:?}"
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
        let e = events.clone();
        let app = App::new(&reports, move |_request, tasks| {
            let log = e.clone();
            tasks.add_async_task(async move { log.push("task started") });
            e.push("handler waiting");
            Action::Hang
        })
        .on_disconnect(on_disconnect);
        let addr = serve_app(&harness, app);

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
