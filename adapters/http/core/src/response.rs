//! The trigger for an `http::Response` whose body is an `http_body::Body` (tower, axum, hyper,
//! poem): [`ResponseBody`], and [`HttpAnswer`], which wraps a response's body in it.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Buf;
use http::{Response, StatusCode};
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;

use crate::body::{BodyEnd, declared_length};
use crate::end::{ResponseEnd, Sent};
use crate::future::Answer;
use crate::pending::PendingResponse;
use crate::request::RequestTasks;

pin_project! {
    /// A response body, unchanged on the wire (`poll_frame`, `is_end_stream` and `size_hint` are
    /// forwarded as they are), that hands the request's queue to the executor when the response
    /// ends.
    ///
    /// The end is seen in two places:
    /// - `poll_frame` returning `Ready(None)`: every frame was handed to the server (unless the
    ///   body declared more bytes than it sent: then it was cut short);
    /// - the body being dropped. Servers drop a body without polling it to `None` once it is over
    ///   by their count: `is_end_stream` says so (a `Full` body after its data, an empty body), or
    ///   the response's declared length (its `Content-Length` header, or an exact `size_hint`)
    ///   has been handed over, as with a streamed file download. They never poll the body of a
    ///   response to `HEAD` or with a `1xx`, `204` or `304` status. All of those count as
    ///   completed. Any other drop means the body was cut short, usually because the client went
    ///   away.
    #[derive(Debug)]
    pub struct ResponseBody<B> {
        // Before `inner`: fields drop in order, and the request ends before the body it wrapped
        // is dropped.
        end: BodyEnd,
        #[pin]
        inner: B,
    }
}

impl<B: Body> ResponseBody<B> {
    /// `inner`, the body of a response with `status` that declares `declared` bytes (its
    /// `Content-Length`, if it has one), carrying `tasks` (`None`: a body that carries no queue).
    pub fn new(
        inner: B,
        status: StatusCode,
        declared: Option<u64>,
        tasks: Option<RequestTasks>,
    ) -> Self {
        let end = tasks.map(|tasks| {
            let declared = declared.or_else(|| inner.size_hint().exact());
            let mut end = ResponseEnd::new(tasks, status, declared);
            // An empty body says so before its first poll; servers then drop it unpolled.
            end.sent(Sent::new(0, inner.is_end_stream()));
            end
        });
        Self {
            end: BodyEnd::new(end),
            inner,
        }
    }
}

impl<B> ResponseBody<B> {
    /// The wrapped body.
    pub fn get_ref(&self) -> &B {
        &self.inner
    }
}

impl<B: Body> Body for ResponseBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.project();
        this.end.poll_next(
            this.inner,
            |inner| inner.poll_frame(cx),
            |inner, frame| {
                Sent::new(
                    frame.data_ref().map_or(0, Buf::remaining),
                    inner.is_end_stream(),
                )
            },
        )
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The [`Answer`] of a service whose response is an `http::Response` with an `http_body::Body`
/// (tower, axum, hyper): its body wrapped in a [`ResponseBody`]; an `Err` ends the request
/// without a response.
#[derive(Debug)]
pub enum HttpAnswer {}

impl<B: Body, E> Answer<Result<Response<B>, E>> for HttpAnswer {
    type Output = Result<Response<ResponseBody<B>>, E>;

    fn answer(output: Result<Response<B>, E>, pending: &mut PendingResponse) -> Self::Output {
        let (response, tasks) = pending.answer(output)?;
        let status = response.status();
        let declared = declared_length(response.headers());
        Ok(response.map(|body| ResponseBody::new(body, status, declared, tasks)))
    }
}
