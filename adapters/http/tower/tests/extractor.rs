//! C1, C13: the axum extractor. Extractors ("dependencies") and the handler share one queue, run
//! in the order tasks were added; extracting it without the layer fails loudly, naming the layer
//! (tokio + axum, real TCP).

mod common;

use std::collections::HashMap;

use axum::Router;
use axum::extract::{FromRequestParts, Path, Query};
use axum::http::request::Parts;
use axum::routing::post;
use background_tasks::BackgroundTasks;
use background_tasks_conformance::http::{Client, Events, Reports};
use background_tasks_tower::{BackgroundTasksLayer, Decision};
use common::TokioServer;

/// FastAPI's `get_query` dependency: logs the query in the background when there is one.
struct QueryLog(Option<String>);

impl FromRequestParts<Events> for QueryLog {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, log: &Events) -> Result<Self, Self::Rejection> {
        let tasks = BackgroundTasks::from_request_parts(parts, log)
            .await
            .unwrap();
        let Query(mut params) = Query::<HashMap<String, String>>::from_request_parts(parts, log)
            .await
            .unwrap();
        let q = params.remove("q");
        if let Some(q) = &q {
            let (log, message) = (log.clone(), format!("found query: {q}"));
            tasks.add_task(move || log.push(message));
        }
        Ok(Self(q))
    }
}

async fn send_notification(
    axum::extract::State(log): axum::extract::State<Events>,
    Path(email): Path<String>,
    tasks: BackgroundTasks,
    QueryLog(_q): QueryLog,
) -> &'static str {
    let message = format!("message to {email}");
    tasks.add_task(move || log.push(message));
    "Message sent"
}

#[test]
fn c01_dependency_and_handler_share_one_queue_in_order() {
    let log = Events::default();
    let reports = Reports::default();
    let server = TokioServer::start(|executor| {
        Router::new()
            .route("/send-notification/{email}", post(send_notification))
            .layer(BackgroundTasksLayer::new(executor).on_report(reports.hook()))
            .with_state(log.clone())
    });
    let mut client = Client::connect(server.addr);

    let (head, body) = client.request("POST", "/send-notification/ada@example.com?q=rust");
    assert_eq!(
        (head.status, body.as_slice()),
        (200, b"Message sent".as_slice())
    );
    let report = reports.take("/send-notification/ada@example.com");
    assert_eq!(report.decision(), Decision::Ran);
    assert_eq!(report.run().tasks().len(), 2, "one queue for both");
    assert_eq!(
        log.wait_for("message to ada@example.com"),
        ["found query: rust", "message to ada@example.com"]
    );

    let (head, _) = client.request("POST", "/send-notification/bob@example.com");
    assert_eq!(head.status, 200);
    assert_eq!(
        reports
            .take("/send-notification/bob@example.com")
            .run()
            .tasks()
            .len(),
        1
    );
    assert_eq!(
        log.wait_for("message to bob@example.com")[2..],
        ["message to bob@example.com"]
    );
}

#[test]
fn c13_extractor_without_the_layer_fails_naming_the_layer() {
    let server = TokioServer::start(|_executor| {
        Router::new().route(
            "/",
            post(|tasks: BackgroundTasks| async move {
                tasks.add_task(|| ());
                "unreachable"
            }),
        )
    });
    let (head, body) = Client::connect(server.addr).request("POST", "/");
    assert_eq!(head.status, 500);
    let body = String::from_utf8(body).unwrap();
    assert!(
        body.contains("background_tasks_tower::BackgroundTasksLayer"),
        "{body}"
    );
    assert!(body.contains(".layer(BackgroundTasksLayer::new("), "{body}");
}

#[test]
fn c13_optional_extractor_is_none_without_the_layer() {
    let server = TokioServer::start(|_executor| {
        Router::new().route(
            "/",
            post(|tasks: Option<BackgroundTasks>| async move {
                if tasks.is_some() { "queue" } else { "no queue" }
            }),
        )
    });
    let (head, body) = Client::connect(server.addr).request("POST", "/");
    assert_eq!(
        (head.status, body.as_slice()),
        (200, b"no queue".as_slice())
    );
}
