//! The demo's endpoint on poem: `GetQuery` is the dependency, an extractor that takes the
//! request's `BackgroundTasks` itself.

use std::collections::HashMap;

use background_tasks::BackgroundTasks;
use http_body_util::BodyExt;
use poem::web::{Data, Path, Query};
use poem::{
    Body, Endpoint, EndpointExt, FromRequest, Request, RequestBody, Response, Route, handler, post,
};

use crate::CLEANUP;
use crate::timeline::{TimedBody, Timeline, async_cleanup, write_log};

/// FastAPI's `get_query` dependency: queues `write_log("found query: {q}")` when `q` is given.
struct GetQuery(#[allow(dead_code)] Option<String>);

impl<'a> FromRequest<'a> for GetQuery {
    async fn from_request(request: &'a Request, body: &mut RequestBody) -> poem::Result<Self> {
        let background_tasks = BackgroundTasks::from_request(request, body).await?;
        let Query(mut params) =
            Query::<HashMap<String, String>>::from_request(request, body).await?;
        let q = params.remove("q").filter(|q| !q.is_empty());
        if let Some(q) = &q {
            let timeline = request
                .data::<Timeline>()
                .expect("the app adds the timeline");
            let (timeline, message) = (timeline.clone(), format!("found query: {q}"));
            background_tasks
                .add_task(move || write_log(&timeline, "get_query (dependency)", message));
        }
        Ok(Self(q))
    }
}

#[handler]
fn send_notification(
    Data(timeline): Data<&Timeline>,
    Path(email): Path<String>,
    background_tasks: BackgroundTasks,
    _q: GetQuery,
) -> Response {
    let (log, message) = (timeline.clone(), format!("message to {email}"));
    background_tasks.add_task(move || write_log(&log, "handler", message));
    background_tasks.add_async_task(async_cleanup(
        timeline.clone(),
        "upload.tmp".to_owned(),
        Box::pin(tokio::time::sleep(CLEANUP)),
    ));
    let body = TimedBody::json(r#"{"message":"Message sent"}"#, timeline);
    Response::builder()
        .content_type("application/json")
        .body(Body::from(body.map_err(|never| match never {}).boxed()))
}

/// The demo's route; `run` wraps it in the middleware.
pub(crate) fn app(timeline: Timeline) -> impl Endpoint {
    Route::new()
        .at("/send-notification/:email", post(send_notification))
        .data(timeline)
}
