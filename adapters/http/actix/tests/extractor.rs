//! C1, C13: the actix-web extractor. Extractors ("dependencies") and the handler share one queue,
//! run in the order tasks were added; extracting it without the middleware fails loudly, naming
//! the middleware (real TCP).

mod common;

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use background_tasks::BackgroundTasks;
use background_tasks_actix::{BackgroundTasksMiddleware, Decision, Ending};
use background_tasks_conformance::http::{Client, Events, Reports};
use background_tasks_tokio::TokioExecutor;
use common::{ActixServer, tasks_runtime};

/// FastAPI's `get_query` dependency: logs the query in the background when there is one.
struct QueryLog(#[allow(dead_code)] Option<String>);

impl FromRequest for QueryLog {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let tasks = match BackgroundTasks::from_request(request, payload).into_inner() {
            Ok(tasks) => tasks,
            Err(missing) => return ready(Err(missing.into())),
        };
        let log = request.app_data::<web::Data<Events>>().unwrap().clone();
        let q = web::Query::<std::collections::HashMap<String, String>>::from_query(
            request.query_string(),
        )
        .ok()
        .and_then(|mut params| params.remove("q"));
        if let Some(q) = &q {
            let message = format!("found query: {q}");
            tasks.add_task(move || log.push(message));
        }
        ready(Ok(Self(q)))
    }
}

async fn send_notification(
    log: web::Data<Events>,
    email: web::Path<String>,
    tasks: BackgroundTasks,
    _q: QueryLog,
) -> HttpResponse {
    let message = format!("message to {email}");
    let log = log.into_inner();
    tasks.add_task(move || log.push(message));
    HttpResponse::Ok()
        .content_type("application/json")
        .body(r#"{"message":"Message sent"}"#)
}

fn routes(log: Events) -> impl Fn(&mut web::ServiceConfig) + Clone + Send + 'static {
    move |config| {
        config
            .app_data(web::Data::new(log.clone()))
            .route(
                "/send-notification/{email}",
                web::post().to(send_notification),
            )
            .route(
                "/optional",
                web::get().to(|tasks: Option<BackgroundTasks>| async move {
                    if tasks.is_some() {
                        "with a queue"
                    } else {
                        "without"
                    }
                }),
            );
    }
}

#[test]
fn c01_dependency_and_handler_share_one_queue_in_order() {
    let (log, reports) = (Events::default(), Reports::default());
    let runtime = tasks_runtime();
    let middleware =
        BackgroundTasksMiddleware::new(TokioExecutor::from_handle(runtime.handle().clone()))
            .on_report(reports.hook());
    let server = ActixServer::start(Some(middleware), routes(log.clone()));

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
}

#[test]
fn c13_extractor_without_the_middleware_fails_naming_the_middleware() {
    let log = Events::default();
    let server = ActixServer::start(None, routes(log.clone()));

    let mut client = Client::connect(server.addr);
    let (head, body) = client.request("POST", "/send-notification/ada@example.com");
    assert_eq!(head.status, 500);
    let body = String::from_utf8(body).unwrap();
    assert!(body.contains("BackgroundTasksMiddleware"), "{body}");
    assert!(body.contains("App::new().wrap("), "{body}");
    // `Option<BackgroundTasks>` does without.
    assert_eq!(client.request("GET", "/optional").1, b"without");
    assert!(log.snapshot().is_empty());
}
