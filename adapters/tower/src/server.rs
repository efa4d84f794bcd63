//! A small HTTP/1.1 server on hyper for runtimes that have none of their own (smol, async-std):
//! [`serve`] accepts connections from any stream of `futures-io` sockets and spawns each on a
//! [`background_tasks::Executor`]; [`serve_connection`] serves one.
//!
//! It runs any tower service taking `Request<hyper::body::Incoming>`, typically
//! [`BackgroundTasksLayer`](crate::BackgroundTasksLayer) around your handler. On tokio, prefer
//! axum (`axum::serve`) or hyper-util's server, which also speak HTTP/2.
//!
//! # Examples
//!
//! On smol:
//!
//! ```no_run
//! use std::convert::Infallible;
//!
//! use background_tasks::BackgroundTasks;
//! use background_tasks_smol::SmolExecutor;
//! use background_tasks_tower::{BackgroundTasksLayer, server};
//! use http::{Request, Response};
//! use tower_layer::Layer;
//!
//! # #[derive(Clone)] struct ServiceFn<F>(F);
//! # impl<F: Fn(Request<hyper::body::Incoming>) -> Response<String>> tower_service::Service<Request<hyper::body::Incoming>> for ServiceFn<F> {
//! #     type Response = Response<String>;
//! #     type Error = Infallible;
//! #     type Future = std::future::Ready<Result<Response<String>, Infallible>>;
//! #     fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Infallible>> { std::task::Poll::Ready(Ok(())) }
//! #     fn call(&mut self, request: Request<hyper::body::Incoming>) -> Self::Future { std::future::ready(Ok((self.0)(request))) }
//! # }
//! # fn service_fn<F>(f: F) -> ServiceFn<F> { ServiceFn(f) }
//! fn handler(request: Request<hyper::body::Incoming>) -> Response<String> {
//!     let tasks = request.extensions().get::<BackgroundTasks>().expect("the layer is installed");
//!     tasks.add_task(|| println!("runs once the response is sent"));
//!     Response::new("hello".to_owned())
//! }
//!
//! smol::block_on(async {
//!     let executor = SmolExecutor::new();
//!     let service = BackgroundTasksLayer::new(executor.clone()).layer(service_fn(handler));
//!     let listener = smol::net::TcpListener::bind("127.0.0.1:3000").await?;
//!     server::serve(listener.incoming(), service, executor).await
//! })
//! # .unwrap();
//! ```

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use background_tasks::{BoxError, Executor};
use futures_core::Stream;
use futures_io::{AsyncRead, AsyncWrite};
use http::{Request, Response};
use http_body::Body;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::HttpService;
use hyper_util::service::TowerToHyperService;
use pin_project_lite::pin_project;
use smol_hyper::rt::FuturesIo;
use tower_service::Service;

/// How many connections one poll of [`Serve`] accepts before yielding to other tasks.
const ACCEPT_BUDGET: usize = 64;

/// Serves HTTP/1.1 on one connection with `service`.
///
/// The returned future resolves when the connection closes; spawn it on your runtime (that is all
/// [`serve`] does for each connection it accepts).
///
/// # Errors
///
/// The future resolves to hyper's error when the connection fails (an I/O error, a malformed
/// request). A client going away between requests is not an error.
///
/// # Examples
///
/// ```no_run
/// # use std::convert::Infallible;
/// # use http::{Request, Response};
/// # #[derive(Clone)] struct Hello;
/// # impl tower_service::Service<Request<hyper::body::Incoming>> for Hello {
/// #     type Response = Response<String>;
/// #     type Error = Infallible;
/// #     type Future = std::future::Ready<Result<Response<String>, Infallible>>;
/// #     fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Infallible>> { std::task::Poll::Ready(Ok(())) }
/// #     fn call(&mut self, _: Request<hyper::body::Incoming>) -> Self::Future { std::future::ready(Ok(Response::new("hello".into()))) }
/// # }
/// use background_tasks_smol::SmolExecutor;
/// use background_tasks_tower::{BackgroundTasksLayer, server};
/// use tower_layer::Layer;
///
/// smol::block_on(async {
///     let service = BackgroundTasksLayer::new(SmolExecutor::new()).layer(Hello);
///     let listener = smol::net::TcpListener::bind("127.0.0.1:3000").await?;
///     let (stream, _) = listener.accept().await?;
///     server::serve_connection(stream, service).await.map_err(std::io::Error::other)
/// })
/// # .unwrap();
/// ```
pub fn serve_connection<IO, S, B>(io: IO, service: S) -> Connection<IO, S>
where
    IO: AsyncRead + AsyncWrite + Unpin,
    S: Service<Request<Incoming>, Response = Response<B>> + Clone,
    S::Error: Into<BoxError>,
    B: Body + 'static,
    B::Error: Into<BoxError>,
{
    Connection {
        inner: http1::Builder::new()
            .serve_connection(FuturesIo::new(io), TowerToHyperService::new(service)),
    }
}

pin_project! {
    /// One HTTP/1.1 connection being served: a future that resolves when it closes. Returned by
    /// [`serve_connection`].
    #[must_use = "a connection is served only while this future is polled: await or spawn it"]
    pub struct Connection<IO, S>
    where
        TowerToHyperService<S>: HttpService<Incoming>,
    {
        #[pin]
        inner: http1::Connection<FuturesIo<IO>, TowerToHyperService<S>>,
    }
}

impl<IO, S, B> Connection<IO, S>
where
    TowerToHyperService<S>: HttpService<Incoming, ResBody = B>,
    <TowerToHyperService<S> as HttpService<Incoming>>::Error: Into<BoxError>,
    IO: AsyncRead + AsyncWrite + Unpin,
    B: Body + 'static,
    B::Error: Into<BoxError>,
{
    /// Starts a graceful shutdown: the request in flight (if any) is answered, then the connection
    /// closes instead of waiting for the next one. Keep polling the future until it resolves.
    pub fn graceful_shutdown(self: Pin<&mut Self>) {
        self.project().inner.graceful_shutdown();
    }
}

impl<IO, S, B> Future for Connection<IO, S>
where
    TowerToHyperService<S>: HttpService<Incoming, ResBody = B>,
    <TowerToHyperService<S> as HttpService<Incoming>>::Error: Into<BoxError>,
    IO: AsyncRead + AsyncWrite + Unpin,
    B: Body + 'static,
    B::Error: Into<BoxError>,
{
    type Output = Result<(), hyper::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project().inner.poll(cx)
    }
}

impl<IO, S> fmt::Debug for Connection<IO, S>
where
    TowerToHyperService<S>: HttpService<Incoming>,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection").finish_non_exhaustive()
    }
}

/// Accepts connections from `incoming` and serves each with a clone of `service`, spawned on
/// `executor` as a task of its own.
///
/// `incoming` is any stream of `futures-io` sockets: `smol::net::TcpListener::incoming()`,
/// `async_std::net::TcpListener::incoming()`, a TLS acceptor's stream. The future resolves when
/// the stream ends.
///
/// # Errors
///
/// The stream's first error that is not about one connection only. A connection reset or aborted
/// before it was accepted is skipped; other errors (out of file descriptors, say) end the server
/// and are returned, for the caller to decide whether to pause and serve again.
///
/// # Examples
///
/// On async-std:
///
/// ```no_run
/// # use std::convert::Infallible;
/// # use http::{Request, Response};
/// # #[derive(Clone)] struct Hello;
/// # impl tower_service::Service<Request<hyper::body::Incoming>> for Hello {
/// #     type Response = Response<String>;
/// #     type Error = Infallible;
/// #     type Future = std::future::Ready<Result<Response<String>, Infallible>>;
/// #     fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Infallible>> { std::task::Poll::Ready(Ok(())) }
/// #     fn call(&mut self, _: Request<hyper::body::Incoming>) -> Self::Future { std::future::ready(Ok(Response::new("hello".into()))) }
/// # }
/// use background_tasks_async_std::AsyncStdExecutor;
/// use background_tasks_tower::{BackgroundTasksLayer, server};
/// use tower_layer::Layer;
///
/// async_std::task::block_on(async {
///     let executor = AsyncStdExecutor::new();
///     let service = BackgroundTasksLayer::new(executor).layer(Hello);
///     let listener = async_std::net::TcpListener::bind("127.0.0.1:3000").await?;
///     server::serve(listener.incoming(), service, executor).await
/// })
/// # .unwrap();
/// ```
pub fn serve<I, IO, S, B, E>(incoming: I, service: S, executor: E) -> Serve<I, S, E>
where
    I: Stream<Item = io::Result<IO>>,
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
    E: Executor,
{
    Serve {
        incoming,
        service,
        executor,
    }
}

pin_project! {
    /// The accept loop started by [`serve`]: a future that resolves when the stream of
    /// connections ends or fails.
    #[must_use = "a server accepts connections only while this future is polled: await it"]
    pub struct Serve<I, S, E> {
        #[pin]
        incoming: I,
        service: S,
        executor: E,
    }
}

impl<I, IO, S, B, E> Future for Serve<I, S, E>
where
    I: Stream<Item = io::Result<IO>>,
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
    E: Executor,
{
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        for _ in 0..ACCEPT_BUDGET {
            let io = match this.incoming.as_mut().poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => return Poll::Ready(Ok(())),
                Poll::Ready(Some(Ok(io))) => io,
                Poll::Ready(Some(Err(error))) if concerns_one_connection(&error) => {
                    tracing::debug!(%error, "skipped a connection that failed before it was accepted");
                    continue;
                }
                Poll::Ready(Some(Err(error))) => return Poll::Ready(Err(error)),
            };
            let connection = serve_connection(io, this.service.clone());
            this.executor.spawn(Box::pin(async move {
                if let Err(error) = connection.await {
                    tracing::debug!(%error, "http connection failed");
                }
            }));
        }
        // Let the connections just spawned (and everything else) run before accepting more.
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

impl<I, S, E: fmt::Debug> fmt::Debug for Serve<I, S, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Serve")
            .field("executor", &self.executor)
            .finish_non_exhaustive()
    }
}

fn concerns_one_connection(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionRefused
            | io::ErrorKind::Interrupted
    )
}
