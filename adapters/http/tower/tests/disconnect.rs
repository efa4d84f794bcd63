//! C11: a client that goes away before the response ends. By default the tasks run anyway; with
//! `OnDisconnect::Skip` they are discarded; either way the report says what happened (tokio +
//! axum, real TCP).

mod common;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use background_tasks::{BackgroundTasks, Outcome};
use background_tasks_conformance::http::{Chunks, Client, Events, Reports};
use background_tasks_tower::{BackgroundTasksLayer, Decision, Ending, OnDisconnect};
use common::TokioServer;

const CHUNK: usize = 64 * 1024;
const CHUNKS: usize = 128;

/// `/big` streams 8 MiB; `/stuck` never answers. Both queue a task that logs "task started".
fn server(events: &Events, on_disconnect: OnDisconnect) -> (TokioServer, Reports) {
    let reports = Reports::default();
    let server = TokioServer::start(|executor| {
        let e = events.clone();
        let big = move |tasks: BackgroundTasks| {
            let events = e.clone();
            async move {
                let e = events.clone();
                tasks.add_async_task(async move { e.push("task started") });
                Body::new(Chunks::new(&events, "big", CHUNKS, CHUNK))
            }
        };
        let e = events.clone();
        let stuck = move |tasks: BackgroundTasks| {
            let events = e.clone();
            async move {
                let e = events.clone();
                tasks.add_async_task(async move { e.push("task started") });
                events.push("handler waiting");
                std::future::pending::<()>().await;
            }
        };
        Router::new()
            .route("/big", get(big))
            .route("/stuck", get(stuck))
            .layer(
                BackgroundTasksLayer::new(executor)
                    .on_disconnect(on_disconnect)
                    .on_report(reports.hook()),
            )
    });
    (server, reports)
}

/// Reads the head and one chunk of `/big`, then hangs up with the rest unread.
fn leave_mid_body(server: &TokioServer) {
    let mut client = Client::connect_small_window(server.addr);
    client.send("GET", "/big");
    assert_eq!(client.read_head().status, 200);
    client.read_bytes(CHUNK);
}

#[test]
fn c11_client_leaving_mid_body_still_runs_tasks_by_default() {
    let events = Events::default();
    let (server, reports) = server(&events, OnDisconnect::default());
    leave_mid_body(&server);

    let report = reports.take("/big");
    assert_eq!(report.ending(), Ending::CutShort);
    assert_eq!(report.decision(), Decision::Ran);
    assert_eq!(report.run().tasks()[0].outcome, Outcome::Succeeded);
    assert_eq!(events.wait_for("task started"), ["task started"]);
}

#[test]
fn c11_skip_setting_discards_tasks_when_the_client_leaves_mid_body() {
    let events = Events::default();
    let (server, reports) = server(&events, OnDisconnect::Skip);
    leave_mid_body(&server);

    let report = reports.take("/big");
    assert_eq!(report.ending(), Ending::CutShort);
    assert_eq!(report.decision(), Decision::SkippedOnDisconnect);
    assert_eq!(report.status().map(|s| s.as_u16()), Some(200));
    let outcomes: Vec<_> = report.run().tasks().iter().map(|t| &t.outcome).collect();
    assert_eq!(outcomes, [&Outcome::Discarded]);
    // Discarded before the report was made: it can no longer run.
    assert!(!events.contains("task started"));
}

#[test]
fn c11_client_leaving_while_the_handler_works_counts_as_a_disconnect() {
    for (on_disconnect, decision) in [
        (OnDisconnect::Run, Decision::Ran),
        (OnDisconnect::Skip, Decision::SkippedOnDisconnect),
    ] {
        let events = Events::default();
        let (server, reports) = server(&events, on_disconnect);
        let mut client = Client::connect(server.addr);
        client.send("GET", "/stuck");
        events.wait_for("handler waiting");
        drop(client);

        let report = reports.take("/stuck");
        assert_eq!(report.ending(), Ending::Cancelled);
        assert_eq!(report.status(), None);
        assert_eq!(report.decision(), decision);
        if decision == Decision::Ran {
            events.wait_for("task started");
        } else {
            assert_eq!(report.run().tasks()[0].outcome, Outcome::Discarded);
        }
    }
}
