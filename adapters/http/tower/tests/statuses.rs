//! C12: tasks run whatever the response status, unless `Statuses` restricts them (tokio + axum,
//! real TCP).

mod common;

use axum::Router;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::get;
use background_tasks::{BackgroundTasks, Outcome};
use background_tasks_conformance::http::{Client, Events, Reports};
use background_tasks_tower::{BackgroundTasksLayer, Decision, Ending, Statuses};
use common::TokioServer;

/// `/status/{code}` answers with that status and queues a task logging "task for {code}".
fn server(events: &Events, statuses: Statuses) -> (TokioServer, Reports) {
    let reports = Reports::default();
    let events = events.clone();
    let server = TokioServer::start(|executor| {
        let respond = move |Path(code): Path<u16>, tasks: BackgroundTasks| {
            let events = events.clone();
            async move {
                tasks.add_task(move || events.push(format!("task for {code}")));
                StatusCode::from_u16(code).unwrap()
            }
        };
        Router::new().route("/status/{code}", get(respond)).layer(
            BackgroundTasksLayer::new(executor)
                .statuses(statuses)
                .on_report(reports.hook()),
        )
    });
    (server, reports)
}

#[test]
fn c12_client_and_server_errors_run_tasks_by_default() {
    let events = Events::default();
    let (server, reports) = server(&events, Statuses::default());
    let mut client = Client::connect(server.addr);
    for code in [200, 404, 500] {
        assert_eq!(
            client.request("GET", &format!("/status/{code}")).0.status,
            code
        );
        let report = reports.take(&format!("/status/{code}"));
        assert_eq!(report.status().map(|s| s.as_u16()), Some(code));
        assert_eq!(report.ending(), Ending::Completed);
        assert_eq!(report.decision(), Decision::Ran);
        events.wait_for(&format!("task for {code}"));
    }
}

#[test]
fn c12_success_only_discards_tasks_of_error_responses() {
    let events = Events::default();
    let (server, reports) = server(&events, Statuses::Success);
    let mut client = Client::connect(server.addr);
    for code in [404, 500] {
        assert_eq!(
            client.request("GET", &format!("/status/{code}")).0.status,
            code
        );
        let report = reports.take(&format!("/status/{code}"));
        assert_eq!(report.decision(), Decision::SkippedForStatus);
        assert_eq!(report.run().tasks()[0].outcome, Outcome::Discarded);
    }
    for code in [200, 303] {
        assert_eq!(
            client.request("GET", &format!("/status/{code}")).0.status,
            code
        );
        assert_eq!(
            reports.take(&format!("/status/{code}")).decision(),
            Decision::Ran
        );
        events.wait_for(&format!("task for {code}"));
    }
    let log = events.snapshot();
    assert!(
        !log.iter()
            .any(|e| e == "task for 404" || e == "task for 500"),
        "{log:?}"
    );
}

#[test]
fn c12_custom_status_filter() {
    let events = Events::default();
    let (server, reports) = server(&events, Statuses::Matching(|s| !s.is_server_error()));
    let mut client = Client::connect(server.addr);
    client.request("GET", "/status/503");
    assert_eq!(
        reports.take("/status/503").decision(),
        Decision::SkippedForStatus
    );
    client.request("GET", "/status/404");
    assert_eq!(reports.take("/status/404").decision(), Decision::Ran);
    events.wait_for("task for 404");
}
