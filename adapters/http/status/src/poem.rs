//! The page on poem (feature `poem`): an endpoint to nest under any prefix.

use std::fmt;

use poem::http::StatusCode;
use poem::{Body, Endpoint, Request, Response};

use crate::access::Caller;
use crate::events::EventStream;
use crate::page::{Reply, ReplyBody, StatusPage};

/// The status page as a poem [`Endpoint`] ([`StatusPage::poem_endpoint`]).
#[derive(Clone)]
pub struct StatusEndpoint {
    page: StatusPage,
}

impl fmt::Debug for StatusEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("StatusEndpoint").field(&self.page).finish()
    }
}

impl StatusPage {
    /// The page as a poem endpoint: nest it under any prefix (`Route::new().nest("/_tasks",
    /// page.poem_endpoint())`) and open the prefix with a trailing slash (`/_tasks/`): the page's
    /// URLs are relative to it. The peer address is poem's own (`Request::remote_addr`).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo(page: background_tasks_status::StatusPage) {
    /// use poem::Route;
    ///
    /// let app = Route::new().nest("/_tasks", page.poem_endpoint());
    /// # let _ = app;
    /// # }
    /// ```
    pub fn poem_endpoint(&self) -> StatusEndpoint {
        StatusEndpoint { page: self.clone() }
    }
}

impl Endpoint for StatusEndpoint {
    type Output = Response;

    async fn call(&self, request: Request) -> poem::Result<Response> {
        let caller = Caller {
            method: request.method().as_str(),
            path: request.uri().path(),
            peer: request.remote_addr().as_socket_addr().copied(),
            headers: request.headers(),
        };
        let resume = request
            .headers()
            .get("last-event-id")
            .and_then(|value| value.to_str().ok());
        let Reply {
            status,
            content_type,
            body,
        } = self.page.answer(&caller, request.uri().query(), resume);
        let mut response = Response::builder()
            .status(StatusCode::from_u16(status).expect("the page's statuses are valid"))
            .content_type(content_type);
        for (name, value) in Reply::HEADERS {
            response = response.header(name, value);
        }
        Ok(match body {
            ReplyBody::Full(bytes) => response.body(bytes),
            ReplyBody::Events(events) => {
                response.body(Body::from_bytes_stream(EventStream::new(events)))
            }
        })
    }
}
