//! C12: a handler that panics queues nothing: its tasks are discarded and reported, also behind
//! tower-http's `CatchPanicLayer`, which turns the panic into a `500` (tokio + axum, real TCP).

mod common;

use axum::Router;
use axum::routing::get;
use background_tasks::{BackgroundTasks, Outcome};
use background_tasks_conformance::http::{Client, Events, Reports};
use background_tasks_tower::{BackgroundTasksLayer, Decision, Ending};
use common::TokioServer;
use tower_http::catch_panic::CatchPanicLayer;

#[test]
fn c12_panicking_handler_runs_no_task_and_reports_them_discarded() {
    let events = Events::default();
    let reports = Reports::default();
    let server = TokioServer::start(|executor| {
        let events = events.clone();
        let panics = move |tasks: BackgroundTasks| {
            let events = events.clone();
            async move {
                tasks.add_task(move || events.push("task ran"));
                if std::hint::black_box(true) {
                    panic!("the handler broke");
                }
                "unreachable"
            }
        };
        Router::new()
            .route("/panic", get(panics))
            .route("/ok", get(|| async { "fine" }))
            .layer(BackgroundTasksLayer::new(executor).on_report(reports.hook()))
            .layer(CatchPanicLayer::new())
    });

    let mut client = Client::connect(server.addr);
    let (head, _) = client.request("GET", "/panic");
    assert_eq!(head.status, 500);

    let report = reports.take("/panic");
    assert_eq!(report.ending(), Ending::Panicked);
    assert_eq!(report.decision(), Decision::NoResponse);
    assert_eq!(report.status(), None);
    assert_eq!(report.run().tasks().len(), 1);
    assert_eq!(report.run().tasks()[0].outcome, Outcome::Discarded);
    assert!(events.snapshot().is_empty(), "the task must not run");

    // The server is unharmed.
    assert_eq!(client.request("GET", "/ok").0.status, 200);
}
