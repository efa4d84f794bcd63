//! C12: tasks run whatever the status, unless `Statuses` restricts them; a handler that panics
//! runs none.

use std::net::SocketAddr;

use background_tasks::Outcome;
use background_tasks_tower::{Decision, Ending, Statuses};
use http::StatusCode;
use hyper::body::Bytes;

use crate::harness::quiet_deliberate_panics;
use crate::http::{Action, App, Client, Events, HttpHarness, Reply, ReplyBody, Reports};

use super::{assert_ran, outcomes, serve_app};

/// `/{code}` answers with that status and queues a sync task logging `"task for {code}"`.
fn serve_statuses<H: HttpHarness>(
    harness: &H,
    statuses: Statuses,
) -> (SocketAddr, Events, Reports) {
    let (events, reports) = (Events::default(), Reports::default());
    let e = events.clone();
    let app = App::new(&reports, move |request, tasks| {
        let code: u16 = request.path[1..].parse().expect("/{code}");
        let (log, entry) = (e.clone(), format!("task for {code}"));
        tasks.add_task(move || log.push(entry));
        let status = StatusCode::from_u16(code).expect("a status code");
        Reply::new(status, ReplyBody::Full(Bytes::from(status.to_string()))).into()
    })
    .statuses(statuses);
    let addr = serve_app(harness, app);
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

/// C12: a handler that panics, behind a catch-panic (tower-http's `CatchPanicLayer` on tower) that
/// answers `500`, runs
/// none of its tasks, whether it panics while building its future or while it is polled; they are
/// reported as discarded, and the connection goes on serving.
pub fn c12_panicking_handler_runs_none_of_its_tasks<H: HttpHarness>() {
    quiet_deliberate_panics();
    let harness = H::new();
    let (events, reports) = (Events::default(), Reports::default());
    let e = events.clone();
    let app = App::new(&reports, move |request, tasks| {
        let path = &request.path;
        let (log, ran) = (e.clone(), format!("{path} task ran"));
        tasks.add_async_task(async move { log.push(ran) });
        match path.as_str() {
            "/panic-in-call" => Action::Panic,
            "/panic-in-future" => Action::PanicInFuture,
            _ => Reply::text("fine").into(),
        }
    })
    // A catch-panic outside the integration, as its docs ask (tower-http's `CatchPanicLayer` on
    // tower): the panic passes through the integration on its way out, and the client gets `500`.
    .catch_panics();
    let addr = serve_app(&harness, app);

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
