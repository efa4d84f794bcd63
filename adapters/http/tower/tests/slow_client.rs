//! C8: a client that reads a large response slowly sees no task start before the last byte is
//! sent (tokio + axum, real TCP, small socket buffers so the server cannot run ahead).

mod common;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use background_tasks::BackgroundTasks;
use background_tasks_conformance::http::{Chunks, Client, Events, Reports};
use background_tasks_tower::{BackgroundTasksLayer, Decision, Ending};
use common::TokioServer;

const CHUNK: usize = 64 * 1024;
const CHUNKS: usize = 128; // 8 MiB, far more than the socket buffers and hyper's write buffer hold

#[test]
fn c08_paused_client_delays_tasks_until_it_reads_the_rest() {
    let events = Events::default();
    let reports = Reports::default();
    let server = TokioServer::start(|executor| {
        let events = events.clone();
        let big = move |tasks: BackgroundTasks| {
            let events = events.clone();
            async move {
                events.push("handler");
                let e = events.clone();
                tasks.add_async_task(async move { e.push("task started") });
                Body::new(Chunks::new(&events, "big", CHUNKS, CHUNK))
            }
        };
        Router::new()
            .route("/big", get(big))
            .layer(BackgroundTasksLayer::new(executor).on_report(reports.hook()))
    });

    let mut client = Client::connect_small_window(server.addr);
    client.send("GET", "/big");
    let head = client.read_head();
    assert_eq!(head.headers["content-length"], (CHUNK * CHUNKS).to_string());
    let half = CHUNK * CHUNKS / 2;
    client.read_bytes(half);

    // Paused half-way: the response future resolved long ago and the server has written
    // megabytes since, but the body has not ended, so no task may have started.
    let log = events.snapshot();
    assert_eq!(log, ["handler"], "while the client is paused");

    client.read_bytes(CHUNK * CHUNKS - half);
    assert_eq!(
        events.wait_for("task started"),
        ["handler", "big body end", "task started"]
    );
    let report = reports.take("/big");
    assert_eq!(report.ending(), Ending::Completed);
    assert_eq!(report.decision(), Decision::Ran);
    assert!(report.run().is_success());
}
