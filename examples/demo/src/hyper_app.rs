//! The demo's endpoint as a plain tower service, for hyper on smol and on async-std: routed by
//! hand; `get_query` is the dependency, a function that takes the request's queue with
//! `BackgroundTasks::current()`.

use std::convert::Infallible;

use background_tasks::{BackgroundTasks, Executor};
use background_tasks_tower::BackgroundTasksLayer;
use background_tasks_tower::ResponseBody;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode, header};
use tower::{Layer, Service, service_fn};

use crate::CLEANUP;
use crate::timeline::{TimedBody, Timeline, async_cleanup, write_log};

/// FastAPI's `get_query` dependency: queues `write_log("found query: {q}")` when `q` is given.
fn get_query<B>(request: &Request<B>, timeline: &Timeline) -> Option<String> {
    let background_tasks = BackgroundTasks::current()?;
    let q = request
        .uri()
        .query()?
        .split('&')
        .find_map(|pair| pair.strip_prefix("q="))
        .filter(|q| !q.is_empty())?
        .to_owned();
    let (timeline, message) = (timeline.clone(), format!("found query: {q}"));
    background_tasks.add_task(move || write_log(&timeline, "get_query (dependency)", message));
    Some(q)
}

fn send_notification<E: Executor>(
    request: &Request<Incoming>,
    timeline: &Timeline,
    executor: &E,
) -> Response<TimedBody> {
    let email = request
        .uri()
        .path()
        .strip_prefix("/send-notification/")
        .filter(|email| request.method() == Method::POST && !email.contains('/'));
    let Some(email) = email else {
        let mut response = Response::new(TimedBody::json(r#"{"detail":"Not Found"}"#, timeline));
        *response.status_mut() = StatusCode::NOT_FOUND;
        return response;
    };
    let background_tasks =
        BackgroundTasks::current().expect("service() installs BackgroundTasksLayer");
    let _q = get_query(request, timeline);
    let (log, message) = (timeline.clone(), format!("message to {email}"));
    background_tasks.add_task(move || write_log(&log, "handler", message));
    let sleep = executor.sleep(CLEANUP).expect("the runtime has a timer");
    background_tasks.add_async_task(async_cleanup(
        timeline.clone(),
        "upload.tmp".to_owned(),
        sleep,
    ));
    let mut response = Response::new(TimedBody::json(r#"{"message":"Message sent"}"#, timeline));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    response
}

pub(crate) fn service<E: Executor + Clone>(
    timeline: Timeline,
    layer: BackgroundTasksLayer<E>,
) -> impl Service<
    Request<Incoming>,
    Response = Response<ResponseBody<TimedBody>>,
    Error = Infallible,
    Future: Send,
> + Clone
+ Send
+ 'static {
    let executor = layer.runner().executor().clone();
    layer.layer(service_fn(move |request: Request<Incoming>| {
        let response = send_notification(&request, &timeline, &executor);
        async move { Ok::<_, Infallible>(response) }
    }))
}
