//! [`Mounted`]: the page in front of an app's tower service, for servers without a router of
//! their own (`background_tasks_server::serve` on smol or async-std, plain hyper).

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http::{Request, Response};
use http_body::{Body, Frame, SizeHint};
use tower_service::Service;

use crate::page::StatusPage;
use crate::tower::{StatusBody, StatusService};

impl StatusPage {
    /// Serves the page under `prefix` (say `"/_tasks/"`) and every other request with `app`.
    ///
    /// The page answers paths that start with `prefix`, whatever follows; with a router (axum),
    /// nest [`service`](Self::service) instead.
    ///
    /// # Panics
    ///
    /// If `prefix` does not start and end with `/`, or is `/` alone: the page's relative URLs
    /// need a directory of its own.
    pub fn mount<S>(&self, prefix: &str, app: S) -> Mounted<S> {
        assert!(
            prefix.len() > 1 && prefix.starts_with('/') && prefix.ends_with('/'),
            "StatusPage::mount({prefix:?}): the prefix must start and end with `/` and not be `/` \
             alone, like \"/_tasks/\""
        );
        Mounted {
            prefix: prefix.to_owned(),
            page: self.service(),
            app,
        }
    }
}

/// An app's service with the status page in front of it, under a prefix
/// ([`StatusPage::mount`]).
#[derive(Clone)]
pub struct Mounted<S> {
    prefix: String,
    page: StatusService,
    app: S,
}

impl<S: fmt::Debug> fmt::Debug for Mounted<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mounted")
            .field("prefix", &self.prefix)
            .field("app", &self.app)
            .finish_non_exhaustive()
    }
}

impl<S, ReqBody, B> Service<Request<ReqBody>> for Mounted<S>
where
    S: Service<Request<ReqBody>, Response = Response<B>>,
{
    type Response = Response<MountedBody<B>>;
    type Error = S::Error;
    type Future = MountedFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.app.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let path = request.uri().path();
        // `/_tasks` alone is the page too: it answers, and its links are then one level off,
        // which is why the examples print the prefix with its slash.
        if path.starts_with(&self.prefix) || path == self.prefix.trim_end_matches('/') {
            let response = match self.page.call(request).into_inner() {
                Ok(response) => response,
                Err(never) => match never {},
            };
            return MountedFuture::Page {
                response: Some(response.map(MountedBody::page)),
            };
        }
        MountedFuture::App {
            future: self.app.call(request),
        }
    }
}

use self::projected::{BodyProjected, Projected};
pub use self::projected::{MountedBody, MountedFuture};

// pin-project-lite takes no doc comment on an enum variant's fields; the variants' own docs say
// what each holds.
#[allow(missing_docs)]
mod projected {
    use http::Response;
    use pin_project_lite::pin_project;

    use crate::tower::StatusBody;

    pin_project! {
        /// The future of a [`Mounted`] call: the page's answer, ready, or the app's.
        #[project = Projected]
        #[derive(Debug)]
        pub enum MountedFuture<F> {
            /// The page's answer.
            Page { response: Option<Response<MountedBody<()>>> },
            /// The app's future.
            App { #[pin] future: F },
        }
    }

    pin_project! {
        /// The body of a [`Mounted`] response: the page's, or the app's.
        #[project = BodyProjected]
        #[derive(Debug)]
        pub enum MountedBody<B> {
            /// The page's body.
            Page { body: StatusBody },
            /// The app's body.
            App { #[pin] body: B },
        }
    }
}

impl<F, B, E> std::future::Future for MountedFuture<F>
where
    F: std::future::Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<MountedBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            Projected::Page { response } => {
                let response = response.take().expect("polled after completion");
                Poll::Ready(Ok(response.map(MountedBody::retype)))
            }
            Projected::App { future } => {
                let response = ready!(future.poll(cx))?;
                Poll::Ready(Ok(response.map(MountedBody::app)))
            }
        }
    }
}

impl<B> MountedBody<B> {
    fn page(body: StatusBody) -> Self {
        Self::Page { body }
    }

    fn app(body: B) -> Self {
        Self::App { body }
    }
}

impl MountedBody<()> {
    fn retype<B>(self) -> MountedBody<B> {
        match self {
            Self::Page { body } => MountedBody::Page { body },
            Self::App { .. } => unreachable!("the page's answer holds the page's body"),
        }
    }
}

impl<B> Body for MountedBody<B>
where
    B: Body<Data = Bytes>,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        match self.project() {
            BodyProjected::Page { body } => match ready!(Pin::new(body).poll_frame(cx)) {
                Some(Ok(frame)) => Poll::Ready(Some(Ok(frame))),
                Some(Err(never)) => match never {},
                None => Poll::Ready(None),
            },
            BodyProjected::App { body } => body.poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Self::Page { body } => body.is_end_stream(),
            Self::App { body } => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Self::Page { body } => body.size_hint(),
            Self::App { body } => body.size_hint(),
        }
    }
}
