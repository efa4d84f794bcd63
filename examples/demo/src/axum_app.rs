//! The demo's endpoint on axum: `GetQuery` is the dependency, an extractor that takes the
//! request's `BackgroundTasks` itself.

use std::collections::HashMap;

use axum::Router;
use axum::body::Body;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use background_tasks::{BackgroundTasks, Executor};
use background_tasks_tokio::TokioExecutor;
use background_tasks_tower::BackgroundTasksLayer;

use crate::CLEANUP;
use crate::timeline::{TimedBody, Timeline, async_cleanup, write_log};

/// FastAPI's `get_query` dependency: queues `write_log("found query: {q}")` when `q` is given.
struct GetQuery(Option<String>);

impl FromRequestParts<Timeline> for GetQuery {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, timeline: &Timeline) -> Result<Self, Response> {
        let background_tasks = BackgroundTasks::from_request_parts(parts, timeline)
            .await
            .map_err(IntoResponse::into_response)?;
        let Query(mut params) =
            Query::<HashMap<String, String>>::from_request_parts(parts, timeline)
                .await
                .map_err(IntoResponse::into_response)?;
        let q = params.remove("q").filter(|q| !q.is_empty());
        if let Some(q) = &q {
            let (timeline, message) = (timeline.clone(), format!("found query: {q}"));
            background_tasks
                .add_task(move || write_log(&timeline, "get_query (dependency)", message));
        }
        Ok(Self(q))
    }
}

async fn send_notification(
    State(timeline): State<Timeline>,
    Path(email): Path<String>,
    background_tasks: BackgroundTasks,
    GetQuery(_q): GetQuery,
) -> Response {
    let (log, message) = (timeline.clone(), format!("message to {email}"));
    background_tasks.add_task(move || write_log(&log, "handler", message));
    let sleep = TokioExecutor::new()
        .sleep(CLEANUP)
        .expect("tokio has a timer");
    background_tasks.add_async_task(async_cleanup(
        timeline.clone(),
        "upload.tmp".to_owned(),
        sleep,
    ));
    let body = TimedBody::json(r#"{"message":"Message sent"}"#, &timeline);
    (
        [(header::CONTENT_TYPE, "application/json")],
        Body::new(body),
    )
        .into_response()
}

pub(crate) fn app(timeline: Timeline, layer: BackgroundTasksLayer<TokioExecutor>) -> Router {
    Router::new()
        .route("/send-notification/{email}", post(send_notification))
        .layer(layer)
        .with_state(timeline)
}
