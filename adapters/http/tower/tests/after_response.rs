//! C8, C9: with the layer, a request's tasks start only after its response body has ended, for
//! every kind of body a server may send (or not send), on tokio + axum over real TCP.

mod common;

use axum::Router;
use axum::body::Body;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{MethodRouter, get};
use background_tasks::{BackgroundTasks, Outcome};
use background_tasks_conformance::http::{Chunks, Client, Events, Reports};
use background_tasks_tower::{BackgroundTasksLayer, Decision, Ending};
use common::TokioServer;

/// A GET route that logs "handler", queues an async task that logs "task started", and returns
/// what `respond` makes (a body logs "response body end").
fn route<R: IntoResponse + Send + 'static>(
    events: &Events,
    respond: fn(Events) -> R,
) -> MethodRouter {
    let events = events.clone();
    get(move |tasks: BackgroundTasks| {
        let events = events.clone();
        async move {
            events.push("handler");
            let e = events.clone();
            tasks.add_async_task(async move { e.push("task started") });
            respond(events)
        }
    })
}

fn server(events: &Events) -> (TokioServer, Reports) {
    let reports = Reports::default();
    let server = TokioServer::start(|executor| {
        Router::new()
            .route(
                "/full",
                route(events, |e| Body::new(Chunks::new(&e, "response", 1, 1024))),
            )
            .route(
                "/streamed",
                route(events, |e| {
                    Body::new(Chunks::new(&e, "response", 4, 1024).streamed())
                }),
            )
            .route("/empty", route(events, |_| ()))
            .route("/no-content", route(events, |_| StatusCode::NO_CONTENT))
            .layer(BackgroundTasksLayer::new(executor).on_report(reports.hook()))
    });
    (server, reports)
}

fn assert_ran_after_completion(reports: &Reports, path: &str, status: u16) {
    let report = reports.take(path);
    assert_eq!(report.status().map(|s| s.as_u16()), Some(status));
    assert_eq!(report.ending(), Ending::Completed);
    assert_eq!(report.decision(), Decision::Ran);
    assert_eq!(report.run().count(|o| *o == Outcome::Succeeded), 1);
}

#[test]
fn c08_full_body_runs_tasks_after_its_last_frame() {
    let events = Events::default();
    let (server, reports) = server(&events);
    let (head, body) = Client::connect(server.addr).request("GET", "/full");
    assert_eq!((head.status, body.len()), (200, 1024));
    assert_eq!(head.headers["content-length"], "1024");
    assert_eq!(
        events.wait_for("task started"),
        ["handler", "response body end", "task started"]
    );
    assert_ran_after_completion(&reports, "/full", 200);
}

#[test]
fn c08_streamed_chunked_body_runs_tasks_after_its_end() {
    let events = Events::default();
    let (server, reports) = server(&events);
    let (head, body) = Client::connect(server.addr).request("GET", "/streamed");
    assert_eq!((head.status, body.len()), (200, 4 * 1024));
    assert_eq!(head.headers["transfer-encoding"], "chunked");
    assert_eq!(
        events.wait_for("task started"),
        ["handler", "response body end", "task started"]
    );
    assert_ran_after_completion(&reports, "/streamed", 200);
}

#[test]
fn c08_empty_body_runs_tasks() {
    let events = Events::default();
    let (server, reports) = server(&events);
    let (head, body) = Client::connect(server.addr).request("GET", "/empty");
    assert_eq!((head.status, body.len()), (200, 0));
    assert_eq!(events.wait_for("task started"), ["handler", "task started"]);
    assert_ran_after_completion(&reports, "/empty", 200);
}

#[test]
fn c08_no_content_runs_tasks() {
    let events = Events::default();
    let (server, reports) = server(&events);
    let (head, _) = Client::connect(server.addr).request("GET", "/no-content");
    assert_eq!(head.status, 204);
    assert_eq!(events.wait_for("task started"), ["handler", "task started"]);
    assert_ran_after_completion(&reports, "/no-content", 204);
}

#[test]
fn c08_head_request_runs_tasks_though_no_body_is_sent() {
    let events = Events::default();
    let (server, reports) = server(&events);
    let mut client = Client::connect(server.addr);
    let (head, _) = client.request("HEAD", "/full");
    assert_eq!(head.status, 200);
    events.wait_for("task started");
    assert!(
        !events.contains("response body end"),
        "no body is sent for HEAD"
    );
    assert_ran_after_completion(&reports, "/full", 200);

    // The connection is still usable: the server did not wait for a body it never sends.
    let (head, body) = client.request("GET", "/full");
    assert_eq!((head.status, body.len()), (200, 1024));
    assert_ran_after_completion(&reports, "/full", 200);
}
