//! C1, C12, C13: the poem extractor. Extractors ("dependencies") and the handler share one queue,
//! run in the order tasks were added; a handler's `Err` is a response whose tasks run after it;
//! extracting the queue without the middleware fails loudly, naming the middleware (real TCP).

mod common;

use background_tasks::BackgroundTasks;
use background_tasks_conformance::http::{Client, Events, Reports};
use background_tasks_poem::{BackgroundTasksMiddleware, Decision, Ending};
use background_tasks_tokio::TokioExecutor;
use common::{PoemServer, runtime};
use poem::error::NotFoundError;
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{
    EndpointExt, FromRequest, IntoResponse, Request, RequestBody, Response, Route, get, handler,
    post,
};

/// FastAPI's `get_query` dependency: logs the query in the background when there is one.
struct QueryLog;

impl<'a> FromRequest<'a> for QueryLog {
    async fn from_request(request: &'a Request, body: &mut RequestBody) -> poem::Result<Self> {
        let tasks = BackgroundTasks::from_request(request, body).await?;
        let log = request.data::<Events>().expect("the log").clone();
        let q = request
            .uri()
            .query()
            .and_then(|query| query.split('&').find_map(|pair| pair.strip_prefix("q=")));
        if let Some(q) = q.map(str::to_owned) {
            tasks.add_task(move || log.push(format!("found query: {q}")));
        }
        Ok(Self)
    }
}

#[handler]
fn send_notification(
    Data(log): Data<&Events>,
    Path(email): Path<String>,
    _q: QueryLog,
    tasks: BackgroundTasks,
) -> Response {
    let log = log.clone();
    tasks.add_task(move || log.push(format!("message to {email}")));
    r#"{"message":"Message sent"}"#.with_content_type("application/json").into_response()
}

#[handler]
fn optional(tasks: Option<BackgroundTasks>) -> &'static str {
    if tasks.is_some() {
        "with a queue"
    } else {
        "without"
    }
}

/// Queues a task, then fails as poem handlers do: with an error that is a response.
#[handler]
fn missing(Data(log): Data<&Events>, tasks: BackgroundTasks) -> poem::Result<&'static str> {
    let log = log.clone();
    tasks.add_task(move || log.push("task of a 404"));
    Err(NotFoundError.into())
}

fn routes() -> Route {
    Route::new()
        .at("/send-notification/:email", post(send_notification))
        .at("/optional", get(optional))
        .at("/missing", get(missing))
}

#[test]
fn c01_dependency_and_handler_share_one_queue_in_order() {
    let (log, reports) = (Events::default(), Reports::default());
    let runtime = runtime();
    let middleware =
        BackgroundTasksMiddleware::new(TokioExecutor::from_handle(runtime.handle().clone()))
            .on_report(reports.hook());
    let server = PoemServer::start(&runtime, routes().with(middleware).data(log.clone()));

    let mut client = Client::connect(server.addr);
    let (head, body) = client.request("POST", "/send-notification/ada@example.com?q=rust");
    assert_eq!(
        (head.status, &*body),
        (200, &br#"{"message":"Message sent"}"#[..])
    );
    let report = reports.take("/send-notification/ada@example.com");
    assert_eq!(
        (
            report.ending(),
            report.decision(),
            report.run().tasks().len()
        ),
        (Ending::Completed, Decision::Ran, 2),
        "{report:?}"
    );
    assert_eq!(
        log.snapshot(),
        ["found query: rust", "message to ada@example.com"]
    );
    assert_eq!(client.request("GET", "/optional").1, b"with a queue");
    server.stop(&runtime).unwrap();
}

#[test]
fn c12_a_handler_error_is_a_response_whose_tasks_run_after_it() {
    let (log, reports) = (Events::default(), Reports::default());
    let runtime = runtime();
    let middleware =
        BackgroundTasksMiddleware::new(TokioExecutor::from_handle(runtime.handle().clone()))
            .on_report(reports.hook());
    let server = PoemServer::start(&runtime, routes().with(middleware).data(log.clone()));

    let mut client = Client::connect(server.addr);
    let (head, _) = client.request("GET", "/missing");
    assert_eq!(head.status, 404);
    let report = reports.take("/missing");
    assert_eq!(
        (report.status(), report.ending(), report.decision()),
        (
            Some(StatusCode::NOT_FOUND),
            Ending::Completed,
            Decision::Ran
        ),
        "{report:?}"
    );
    log.wait_for("task of a 404");
    // A wrong method is poem's own `Err` (405), with no queue: it goes on untouched.
    assert_eq!(
        client
            .request("GET", "/send-notification/ada@example.com")
            .0
            .status,
        405
    );
    server.stop(&runtime).unwrap();
}

#[test]
fn c13_extractor_without_the_middleware_fails_naming_the_middleware() {
    let log = Events::default();
    let runtime = runtime();
    let server = PoemServer::start(&runtime, routes().data(log.clone()));

    let mut client = Client::connect(server.addr);
    let (head, body) = client.request("POST", "/send-notification/ada@example.com");
    assert_eq!(head.status, 500);
    let body = String::from_utf8(body).unwrap();
    assert!(body.contains("BackgroundTasksMiddleware"), "{body}");
    assert!(
        body.contains(".with(BackgroundTasksMiddleware::new("),
        "{body}"
    );
    // `Option<BackgroundTasks>` does without.
    assert_eq!(client.request("GET", "/optional").1, b"without");
    assert!(log.snapshot().is_empty());
    server.stop(&runtime).unwrap();
}
