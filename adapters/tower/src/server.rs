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
//!     let tasks = BackgroundTasks::current().expect("BackgroundTasksLayer is installed");
//!     let _ = request;
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
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll};

use background_tasks::{BoxError, Executor};
use event_listener::Event;
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
        watch: None,
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
        // Set by `with_graceful_shutdown`: connections listen to it and are counted by it.
        watch: Option<Arc<Watch>>,
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
            let watch = this.watch.clone();
            if let Some(watch) = &watch {
                watch.connections.fetch_add(1, Ordering::SeqCst);
            }
            this.executor.spawn(Box::pin(async move {
                let result = match &watch {
                    Some(watch) => watch.serve(connection).await,
                    None => connection.await,
                };
                if let Err(error) = result {
                    tracing::debug!(%error, "http connection failed");
                }
                if let Some(watch) = watch {
                    watch.connections.fetch_sub(1, Ordering::SeqCst);
                    watch.changed.notify(usize::MAX);
                }
            }));
        }
        // Let the connections just spawned (and everything else) run before accepting more.
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

impl<I, IO, S, B, E> Serve<I, S, E>
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
    /// Serves until `signal` resolves, then shuts down gracefully: stops accepting (the listener
    /// stream is dropped), lets every connection finish the response it is sending and close
    /// (hyper's `graceful_shutdown`), and resolves once the last one has.
    ///
    /// Then shut the background tasks down with
    /// [`Runner::shutdown`](background_tasks::Runner::shutdown) on the layer's runner: every
    /// response is complete by then, so every queue has been handed over.
    ///
    /// # Errors
    ///
    /// As [`serve`]: an error from accepting that is not about a single connection.
    pub async fn with_graceful_shutdown<F>(mut self, signal: F) -> io::Result<()>
    where
        F: Future<Output = ()>,
    {
        let watch = Arc::new(Watch::default());
        self.watch = Some(Arc::clone(&watch));
        {
            let mut serve = std::pin::pin!(self);
            let mut signal = std::pin::pin!(signal);
            let ended = std::future::poll_fn(|cx| {
                if signal.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(None);
                }
                serve.as_mut().poll(cx).map(Some)
            })
            .await;
            if let Some(Err(error)) = ended {
                return Err(error);
            }
        } // the listener stream is dropped here: no new connection is accepted
        watch.closing.store(true, Ordering::SeqCst);
        watch.changed.notify(usize::MAX);
        watch
            .until(|watch| watch.connections.load(Ordering::SeqCst) == 0)
            .await;
        Ok(())
    }
}

/// What a gracefully shutting-down server shares with its connections.
#[derive(Debug, Default)]
struct Watch {
    closing: AtomicBool,
    connections: AtomicUsize,
    // Notified when `closing` is set and whenever a connection ends.
    changed: Event,
}

impl Watch {
    async fn until(&self, done: impl Fn(&Self) -> bool) {
        loop {
            // Listen before checking, so a change between the two is not missed.
            let listener = self.changed.listen();
            if done(self) {
                return;
            }
            listener.await;
        }
    }

    /// Serves `connection`, asking it to finish gracefully once the server is closing.
    async fn serve<IO, S, B>(&self, connection: Connection<IO, S>) -> Result<(), hyper::Error>
    where
        TowerToHyperService<S>: HttpService<Incoming, ResBody = B>,
        <TowerToHyperService<S> as HttpService<Incoming>>::Error: Into<BoxError>,
        IO: AsyncRead + AsyncWrite + Unpin,
        B: Body + 'static,
        B::Error: Into<BoxError>,
    {
        let mut connection = std::pin::pin!(connection);
        let mut closing = std::pin::pin!(self.until(|watch| watch.closing.load(Ordering::SeqCst)));
        let mut asked = false;
        std::future::poll_fn(|cx| {
            if !asked && closing.as_mut().poll(cx).is_ready() {
                asked = true;
                connection.as_mut().graceful_shutdown();
            }
            connection.as_mut().poll(cx)
        })
        .await
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
