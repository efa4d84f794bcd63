//! The page on Rocket 0.5 (feature `rocket`): routes to mount under any prefix.

use std::fmt;
use std::io::Cursor;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use rocket::http::{ContentType, Header, Method, Status};
use rocket::response::stream::ByteStream;
use rocket::response::{Responder, Response};
use rocket::route::{self, Handler, Route};
use rocket::{Data, Request};

use crate::access::{Caller, Headers};
use crate::events::EventStream;
use crate::page::{Reply, ReplyBody, StatusPage};

impl StatusPage {
    /// The page as Rocket routes: mount them at any prefix (`rocket.mount("/_tasks",
    /// page.rocket_routes())`) and open the prefix with a trailing slash (`/_tasks/`): the page's
    /// URLs are relative to it. The peer address is Rocket's own (`Request::remote`). The routes
    /// are ranked ahead of Rocket's defaults, so an app's catch-all route does not collide with
    /// them.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo(page: background_tasks_status::StatusPage) {
    /// let rocket = rocket::build().mount("/_tasks", page.rocket_routes());
    /// # let _ = rocket;
    /// # }
    /// ```
    pub fn rocket_routes(&self) -> Vec<Route> {
        [Method::Get, Method::Head, Method::Post]
            .into_iter()
            .map(|method| Route::ranked(RANK, method, "/<path..>", StatusRoute(self.clone())))
            .collect()
    }
}

/// Ahead of every rank Rocket gives by default (-12 to -1): under its prefix the page answers
/// first, and an app's own catch-all (`/<path..>` at `/`) does not collide with it.
const RANK: isize = -20;

/// The handler behind every route [`StatusPage::rocket_routes`] gives.
#[derive(Clone)]
struct StatusRoute(StatusPage);

impl fmt::Debug for StatusRoute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("StatusRoute").field(&self.0).finish()
    }
}

impl Headers for rocket::http::HeaderMap<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        self.get_one(name)
    }
}

#[rocket::async_trait]
impl Handler for StatusRoute {
    async fn handle<'r>(&self, request: &'r Request<'_>, _data: Data<'r>) -> route::Outcome<'r> {
        let caller = Caller {
            method: request.method().as_str(),
            path: request.uri().path().as_str(),
            peer: request.remote(),
            headers: request.headers(),
        };
        let resume = request.headers().get_one("last-event-id");
        let query = request.uri().query().map(|query| query.as_str());
        let Reply {
            status,
            content_type,
            body,
        } = self.0.answer(&caller, query, resume);
        let response = match body {
            ReplyBody::Full(bytes) => Response::build()
                .sized_body(bytes.len(), Cursor::new(bytes))
                .finalize(),
            ReplyBody::Events(events) => {
                match ByteStream(Chunks(EventStream::new(events))).respond_to(request) {
                    Ok(response) => response,
                    Err(status) => return route::Outcome::Error(status),
                }
            }
        };
        let mut response = Response::build_from(response)
            .status(Status::new(status))
            .finalize();
        response
            .set_header(ContentType::parse_flexible(content_type).unwrap_or(ContentType::Plain));
        for (name, value) in Reply::HEADERS {
            response.set_header(Header::new(name, value));
        }
        route::Outcome::Success(response)
    }
}

/// The live stream's chunks, as Rocket's `ByteStream` takes them (it never fails).
struct Chunks(EventStream);

impl Stream for Chunks {
    type Item = Bytes;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Bytes>> {
        Pin::new(&mut self.0)
            .poll_next(cx)
            .map(|chunk| chunk.and_then(Result::ok))
    }
}
