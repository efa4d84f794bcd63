//! The demo's endpoint on actix-web: `GetQuery` is the dependency, an extractor that takes the
//! request's `BackgroundTasks` itself. The tasks run on a tokio runtime the demo owns, not on
//! actix's worker.

use std::collections::HashMap;
use std::future::{Ready, ready};
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, MessageBody};
use actix_web::dev::Payload;
use actix_web::web::{self, Bytes, ServiceConfig};
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use background_tasks::{BackgroundTasks, Executor};
use background_tasks_tokio::TokioExecutor;
use http_body::Body;

use crate::CLEANUP;
use crate::timeline::{TimedBody, Timeline, async_cleanup, write_log};

/// FastAPI's `get_query` dependency: queues `write_log("found query: {q}")` when `q` is given.
struct GetQuery(#[allow(dead_code)] Option<String>);

impl FromRequest for GetQuery {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        ready(get_query(request, payload))
    }
}

fn get_query(request: &HttpRequest, payload: &mut Payload) -> Result<GetQuery, actix_web::Error> {
    let background_tasks = BackgroundTasks::from_request(request, payload).into_inner()?;
    let web::Query(mut params) =
        web::Query::<HashMap<String, String>>::from_query(request.query_string())?;
    let q = params.remove("q").filter(|q| !q.is_empty());
    if let Some(q) = &q {
        let timeline = request
            .app_data::<web::Data<Timeline>>()
            .expect("the routes add the timeline");
        let (timeline, message) = (Timeline::clone(timeline), format!("found query: {q}"));
        background_tasks.add_task(move || write_log(&timeline, "get_query (dependency)", message));
    }
    Ok(GetQuery(q))
}

async fn send_notification(
    timeline: web::Data<Timeline>,
    email: web::Path<String>,
    background_tasks: BackgroundTasks,
    executor: web::Data<TokioExecutor>,
    _q: GetQuery,
) -> HttpResponse {
    let timeline = Timeline::clone(&timeline);
    let (log, message) = (timeline.clone(), format!("message to {email}"));
    background_tasks.add_task(move || write_log(&log, "handler", message));
    let sleep = executor.sleep(CLEANUP).expect("tokio has a timer");
    background_tasks.add_async_task(async_cleanup(
        timeline.clone(),
        "upload.tmp".to_owned(),
        sleep,
    ));
    let body = TimedBody::json(r#"{"message":"Message sent"}"#, &timeline);
    HttpResponse::Ok()
        .content_type("application/json")
        .body(TimedMessage(body))
}

/// The timeline's body as an actix-web body.
struct TimedMessage(TimedBody);

impl MessageBody for TimedMessage {
    type Error = std::convert::Infallible;

    fn size(&self) -> BodySize {
        match self.0.size_hint().exact() {
            Some(length) => BodySize::Sized(length),
            None => BodySize::Stream,
        }
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        match Pin::new(&mut self.get_mut().0).poll_frame(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Ready(Some(Ok(frame))) => Poll::Ready(frame.into_data().ok().map(Ok)),
            Poll::Ready(Some(Err(never))) => match never {},
        }
    }
}

/// The demo's route, for `App::configure`; the async task's timer is `executor`'s.
pub(crate) fn routes(
    timeline: Timeline,
    executor: TokioExecutor,
) -> impl Fn(&mut ServiceConfig) + Clone + Send + 'static {
    let (timeline, executor) = (web::Data::new(timeline), web::Data::new(executor));
    move |config| {
        config
            .app_data(timeline.clone())
            .app_data(executor.clone())
            .route(
                "/send-notification/{email}",
                web::post().to(send_notification),
            );
    }
}
