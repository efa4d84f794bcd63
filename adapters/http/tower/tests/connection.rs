//! C10: a task that runs for long delays neither the next request on the same keep-alive
//! connection nor any other connection (tokio + axum, real TCP).

mod common;

use std::sync::{Arc, Mutex, mpsc};

use axum::Router;
use axum::routing::get;
use background_tasks::BackgroundTasks;
use background_tasks_conformance::http::{Client, Events, WAIT_LIMIT};
use background_tasks_tower::BackgroundTasksLayer;
use common::TokioServer;

#[test]
fn c10_a_long_task_delays_neither_the_connection_nor_others() {
    let events = Events::default();
    let (release, released) = mpsc::channel::<()>();
    let released = Arc::new(Mutex::new(released));
    let server = TokioServer::start(|executor| {
        let events = events.clone();
        let slow = move |tasks: BackgroundTasks| {
            let (events, released) = (events.clone(), released.clone());
            async move {
                // A sync task that blocks until the test lets it go.
                tasks.add_task(move || {
                    events.push("task started");
                    let _ = released.lock().unwrap().recv_timeout(WAIT_LIMIT);
                    events.push("task finished");
                });
                "queued"
            }
        };
        Router::new()
            .route("/slow", get(slow))
            .route("/ping", get(|| async { "pong" }))
            .layer(BackgroundTasksLayer::new(executor))
    });

    let mut client = Client::connect(server.addr);
    assert_eq!(client.request("GET", "/slow").0.status, 200);
    events.wait_for("task started");

    // The task is blocked: the same connection and a new one both answer.
    assert_eq!(client.request("GET", "/ping").1, b"pong");
    assert_eq!(
        Client::connect(server.addr).request("GET", "/ping").1,
        b"pong"
    );
    assert_eq!(events.snapshot(), ["task started"]);

    release.send(()).unwrap();
    events.wait_for("task finished");
}
