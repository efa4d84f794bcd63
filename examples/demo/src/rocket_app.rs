//! The demo's endpoint on Rocket: `GetQuery` is the dependency, a request guard that takes the
//! request's `BackgroundTasks` itself.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use background_tasks::{BackgroundTasks, MissingBackgroundTasks};
use http_body::Body;
use rocket::http::ContentType;
use rocket::outcome::try_outcome;
use rocket::request::{FromRequest, Outcome};
use rocket::response::{self, Responder, Response};
use rocket::tokio::io::{AsyncRead, AsyncSeek, ReadBuf};
use rocket::{Request, Route, State, post, routes};

use crate::CLEANUP;
use crate::timeline::{TimedBody, Timeline, async_cleanup, write_log};

/// FastAPI's `get_query` dependency: queues `write_log("found query: {q}")` when `q` is given.
struct GetQuery;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for GetQuery {
    type Error = MissingBackgroundTasks;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let background_tasks = try_outcome!(request.guard::<BackgroundTasks>().await);
        let q = request.query_value::<String>("q").and_then(Result::ok);
        if let Some(q) = q.filter(|q| !q.is_empty()) {
            let timeline = request.rocket().state::<Timeline>().expect("the timeline");
            let (timeline, message) = (timeline.clone(), format!("found query: {q}"));
            background_tasks
                .add_task(move || write_log(&timeline, "get_query (dependency)", message));
        }
        Outcome::Success(Self)
    }
}

#[post("/send-notification/<email>")]
fn send_notification(
    timeline: &State<Timeline>,
    email: String,
    background_tasks: BackgroundTasks,
    _q: GetQuery,
) -> TimedJson {
    let (log, message) = (timeline.inner().clone(), format!("message to {email}"));
    background_tasks.add_task(move || write_log(&log, "handler", message));
    background_tasks.add_async_task(async_cleanup(
        timeline.inner().clone(),
        "upload.tmp".to_owned(),
        Box::pin(rocket::tokio::time::sleep(CLEANUP)),
    ));
    TimedJson(TimedBody::json(r#"{"message":"Message sent"}"#, timeline))
}

/// The timeline's body as Rocket sends bodies: read, with its size.
struct TimedJson(TimedBody);

impl<'r> Responder<'r, 'static> for TimedJson {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        let length = self.0.size_hint().exact().unwrap_or_default() as usize;
        Response::build()
            .header(ContentType::JSON)
            .sized_body(length, Reader(self.0, Default::default()))
            .ok()
    }
}

/// A body's frames as an `AsyncRead`.
struct Reader(TimedBody, rocket::http::hyper::body::Bytes);

impl AsyncRead for Reader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        while this.1.is_empty() {
            match Pin::new(&mut this.0).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => return Poll::Ready(Ok(())),
                Poll::Ready(Some(Ok(frame))) => this.1 = frame.into_data().unwrap_or_default(),
                Poll::Ready(Some(Err(never))) => match never {},
            }
        }
        let n = this.1.len().min(buf.remaining());
        buf.put_slice(&this.1.split_to(n));
        Poll::Ready(Ok(()))
    }
}

/// Rocket seeks a sized body only to find a size it was not given.
impl AsyncSeek for Reader {
    fn start_seek(self: Pin<&mut Self>, _: io::SeekFrom) -> io::Result<()> {
        Err(io::ErrorKind::Unsupported.into())
    }

    fn poll_complete(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<u64>> {
        Poll::Ready(Err(io::ErrorKind::Unsupported.into()))
    }
}

/// The demo's route.
pub(crate) fn routes() -> Vec<Route> {
    routes![send_notification]
}
