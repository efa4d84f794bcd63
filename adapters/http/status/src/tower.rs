//! [`StatusService`]: the page as a tower `Service`, for axum's `nest_service`, any tower server,
//! and `background_tasks_server::serve`.

use std::convert::Infallible;
use std::fmt;
use std::future::{Ready, ready};
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use background_tasks::BoxFuture;
use background_tasks_http::PeerAddr;
use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode, header};
use http_body::{Body, Frame, SizeHint};
use sync_wrapper::SyncWrapper;

use crate::access::Caller;
use crate::events::Events;
use crate::page::{Reply, ReplyBody, StatusPage};

/// The status page as a tower `Service`: mount it under any prefix (`nest_service("/_tasks",
/// service)` with axum) and open the prefix with a trailing slash (`/_tasks/`): every URL the
/// page uses is relative to it.
#[derive(Clone)]
pub struct StatusService {
    page: StatusPage,
}

impl StatusPage {
    /// The page as a tower service.
    pub fn service(&self) -> StatusService {
        StatusService { page: self.clone() }
    }
}

impl fmt::Debug for StatusService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("StatusService").field(&self.page).finish()
    }
}

impl<B> tower_service::Service<Request<B>> for StatusService {
    type Response = Response<StatusBody>;
    type Error = Infallible;
    type Future = Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let caller = Caller {
            method: request.method().as_str(),
            path: request.uri().path(),
            peer: peer(&request),
            headers: request.headers(),
        };
        let resume = request
            .headers()
            .get("last-event-id")
            .and_then(|v| v.to_str().ok());
        let reply = self.page.answer(&caller, request.uri().query(), resume);
        ready(Ok(response(reply)))
    }
}

fn peer<B>(request: &Request<B>) -> Option<SocketAddr> {
    let extensions = request.extensions();
    if let Some(PeerAddr(peer)) = extensions.get::<PeerAddr>() {
        return Some(*peer);
    }
    #[cfg(feature = "axum")]
    if let Some(axum::extract::ConnectInfo(peer)) =
        extensions.get::<axum::extract::ConnectInfo<SocketAddr>>()
    {
        return Some(*peer);
    }
    None
}

fn response(reply: Reply) -> Response<StatusBody> {
    let Reply {
        status,
        content_type,
        body,
    } = reply;
    let body = match body {
        ReplyBody::Full(bytes) => StatusBody {
            state: BodyState::Full(Some(bytes)),
        },
        ReplyBody::Events(events) => StatusBody {
            state: BodyState::Events(SyncWrapper::new(events.next())),
        },
    };
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::from_u16(status).expect("the page's statuses are valid");
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    for (name, value) in Reply::HEADERS {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// The body of a [`StatusService`] response: a page, a file or JSON, or the endless live stream.
pub struct StatusBody {
    state: BodyState,
}

enum BodyState {
    Full(Option<Bytes>),
    // In a `SyncWrapper` so that the body is `Sync`, as some servers ask of a tower service's body
    // (salvo's tower compatibility): only `poll_frame`, through `&mut`, touches the future.
    Events(SyncWrapper<BoxFuture<(Events, Option<Bytes>)>>),
    /// The stream has ended.
    Over,
}

impl fmt::Debug for StatusBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.state {
            BodyState::Full(_) => "full",
            BodyState::Events(_) => "events",
            BodyState::Over => "over",
        };
        f.debug_struct("StatusBody").field("kind", &kind).finish()
    }
}

impl Body for StatusBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match &mut self.state {
            BodyState::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            BodyState::Events(next) => match next.get_mut().as_mut().poll(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready((events, Some(bytes))) => {
                    *next = SyncWrapper::new(events.next());
                    Poll::Ready(Some(Ok(Frame::data(bytes))))
                }
                Poll::Ready((_, None)) => {
                    self.state = BodyState::Over;
                    Poll::Ready(None)
                }
            },
            BodyState::Over => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self.state, BodyState::Full(None) | BodyState::Over)
    }

    fn size_hint(&self) -> SizeHint {
        match &self.state {
            BodyState::Full(bytes) => {
                SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64))
            }
            BodyState::Events(_) => SizeHint::default(),
            BodyState::Over => SizeHint::with_exact(0),
        }
    }
}
