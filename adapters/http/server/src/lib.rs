//! A small hyper server for any background-tasks `Executor` (smol, async-std, tokio, yours):
//! HTTP/1.1 and h2c, a header-read timeout, a connection cap, graceful shutdown on SIGTERM and
//! Ctrl-C.
//!
//! [`serve`] accepts connections from any stream of `futures-io` sockets (smol's and async-std's
//! listeners; a tokio listener through [`TokioIncoming`], feature `tokio`) and serves each,
//! HTTP/1.1 or HTTP/2 (with prior knowledge, as h2c), as a task spawned on a
//! [`background_tasks::Executor`].
//!
//! It runs any tower service taking `Request<hyper::body::Incoming>`, typically
//! `background_tasks_tower::BackgroundTasksLayer` around your handler or your axum `Router`. No
//! HTTP is parsed here: hyper speaks both protocols (hyper-util's `auto` connection picks one per
//! connection). [`shutdown_signal`] resolves on Ctrl-C or SIGTERM, what a deploy stops a
//! process with.
//!
//! It holds its ground against clients that do not play along:
//! - **Slow headers.** A connection whose request headers have not all arrived within the
//!   [header-read timeout](Serve::header_read_timeout) (30 s by default) is closed: the first
//!   request's, counted from the accept, and on HTTP/1.1 each later one's, counted from when the
//!   server starts waiting for it (an idle keep-alive connection is closed after as long). The
//!   timer is the executor's own ([`Executor::sleep`]).
//! - **Floods.** [`max_connections`](Serve::max_connections) caps the connections served at once.
//!   At the cap, the server stops accepting: new connections wait in the listener's backlog (the
//!   kernel's queue, which refuses them once full) until a served one closes.
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
//! use background_tasks_server as server;
//! use background_tasks_tower::BackgroundTasksLayer;
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

#![cfg_attr(docsrs, feature(doc_cfg))]

use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use background_tasks::{BoxError, BoxFuture, Executor};
use event_listener::{Event, EventListener};
use futures_core::Stream;
use futures_io::{AsyncRead, AsyncWrite};
use http::{Request, Response};
use http_body::Body;
use hyper::body::Incoming;
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use pin_project_lite::pin_project;
use tower_service::Service;

use self::socket::Socket;

#[cfg(feature = "tokio")]
mod incoming;
mod signal;
mod socket;

#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub use self::incoming::TokioIncoming;
pub use self::signal::shutdown_signal;
pub use background_tasks_http::PeerAddr;

/// How many connections one poll of [`Serve`] accepts before yielding to other tasks.
const ACCEPT_BUDGET: usize = 64;

/// The default of [`Serve::header_read_timeout`].
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Accepts connections from `incoming` and serves each with a clone of `service`, spawned on
/// `executor` as a task of its own.
///
/// `incoming` is any stream of `futures-io` sockets: `smol::net::TcpListener::incoming()`,
/// `async_std::net::TcpListener::incoming()`, a TLS acceptor's stream. Each connection speaks
/// HTTP/1.1 or, if it opens with HTTP/2's preface, HTTP/2. The future resolves when the stream
/// ends. Set a [header-read timeout](Serve::header_read_timeout) other than 30 s or a
/// [cap on connections](Serve::max_connections) on the returned [`Serve`] before awaiting it.
///
/// # Errors
///
/// The stream's first error that is not about one connection only. A connection reset or aborted
/// before it was accepted is skipped; other errors (out of file descriptors, say) end the server
/// and are returned, for the caller to decide whether to pause and serve again. An executor
/// without a timer ([`Executor::sleep`] returning `None`) is refused at the first poll unless the
/// header-read timeout is turned off: the timeout could never fire.
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
/// use std::time::Duration;
///
/// use background_tasks_async_std::AsyncStdExecutor;
/// use background_tasks_server as server;
/// use background_tasks_tower::BackgroundTasksLayer;
/// use tower_layer::Layer;
///
/// async_std::task::block_on(async {
///     let executor = AsyncStdExecutor::new();
///     let service = BackgroundTasksLayer::new(executor).layer(Hello);
///     let listener = async_std::net::TcpListener::bind("127.0.0.1:3000").await?;
///     server::serve(listener.incoming(), service, executor)
///         .header_read_timeout(Duration::from_secs(10))
///         .max_connections(10_000)
///         .await
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
    E: Executor + Clone,
{
    Serve {
        incoming,
        service,
        executor,
        header_read_timeout: Some(DEFAULT_HEADER_READ_TIMEOUT),
        max_connections: None,
        peer_addr: NoPeerAddr,
        shared: None,
        at_cap: None,
    }
}

pin_project! {
    /// The accept loop started by [`serve`]: a future that resolves when the stream of
    /// connections ends or fails. Configure it before awaiting it.
    #[must_use = "a server accepts connections only while this future is polled: await it"]
    pub struct Serve<I, S, E, P = NoPeerAddr> {
        #[pin]
        incoming: I,
        service: S,
        executor: E,
        header_read_timeout: Option<Duration>,
        max_connections: Option<usize>,
        // Reads each connection's peer address, for the `PeerAddr` extension.
        peer_addr: P,
        // Made at the first poll, from the settings above; shared with every connection.
        shared: Option<Arc<Shared<E>>>,
        // Waits for a connection to close while the cap is reached.
        at_cap: Option<EventListener>,
    }
}

impl<I, S, E, P> Serve<I, S, E, P> {
    /// Closes a connection whose request headers have not all arrived `timeout` after the server
    /// started waiting for them; `None` turns the timeout off. Default: 30 s
    /// ([`DEFAULT_HEADER_READ_TIMEOUT`]).
    ///
    /// The first request's headers are timed from the accept, whatever the protocol; on
    /// HTTP/1.1, each later request's from the end of the previous response (hyper's own
    /// `header_read_timeout`), so an idle keep-alive connection is closed after `timeout` too.
    pub fn header_read_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.header_read_timeout = timeout.into();
        self
    }

    /// Serves at most `connections` connections at once. At the cap, the server stops accepting:
    /// further connections wait in the listener's backlog (refused by the kernel once that is
    /// full) and are accepted as served ones close. No limit by default.
    ///
    /// # Panics
    ///
    /// If `connections` is zero: nothing would ever be served.
    pub fn max_connections(mut self, connections: usize) -> Self {
        assert!(
            connections > 0,
            "Serve::max_connections(0) would never serve a connection"
        );
        self.max_connections = Some(connections);
        self
    }

    /// Reads each connection's peer address with `read` (say `smol::net::TcpStream::peer_addr`,
    /// `async_std::net::TcpStream::peer_addr` or [`TokioIncoming::peer_addr`]) and hands it to
    /// the service with every request of that connection, as a
    /// [`PeerAddr`] request extension: what the status page's
    /// default access rule reads. A connection whose address cannot be read gets none. By
    /// default no address is read.
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
    /// use background_tasks_server as server;
    /// use background_tasks_smol::SmolExecutor;
    /// use smol::net::{TcpListener, TcpStream};
    ///
    /// smol::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:3000").await?;
    ///     server::serve(listener.incoming(), Hello, SmolExecutor::new())
    ///         .peer_addr(TcpStream::peer_addr)
    ///         .await
    /// })
    /// # .unwrap();
    /// ```
    pub fn peer_addr<IO, F>(self, read: F) -> Serve<I, S, E, F>
    where
        F: Fn(&IO) -> io::Result<SocketAddr>,
    {
        Serve {
            incoming: self.incoming,
            service: self.service,
            executor: self.executor,
            header_read_timeout: self.header_read_timeout,
            max_connections: self.max_connections,
            peer_addr: read,
            shared: self.shared,
            at_cap: self.at_cap,
        }
    }
}

/// How a [`Serve`] reads a connection's peer address: by default ([`NoPeerAddr`]) it does not;
/// [`Serve::peer_addr`] sets a function.
pub trait ReadPeerAddr<IO> {
    /// The peer address of `io`, if it can be read.
    fn read(&self, io: &IO) -> Option<SocketAddr>;
}

/// The default of [`Serve`]: no peer address is read.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoPeerAddr;

impl<IO> ReadPeerAddr<IO> for NoPeerAddr {
    fn read(&self, _: &IO) -> Option<SocketAddr> {
        None
    }
}

impl<IO, F> ReadPeerAddr<IO> for F
where
    F: Fn(&IO) -> io::Result<SocketAddr>,
{
    fn read(&self, io: &IO) -> Option<SocketAddr> {
        match self(io) {
            Ok(peer) => Some(peer),
            Err(error) => {
                tracing::debug!(%error, "could not read a connection's peer address");
                None
            }
        }
    }
}

impl<I, IO, S, B, E, P> Future for Serve<I, S, E, P>
where
    P: ReadPeerAddr<IO>,
    I: Stream<Item = io::Result<IO>>,
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
    E: Executor + Clone,
{
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let shared = match this.shared {
            Some(shared) => Arc::clone(shared),
            None => {
                let shared = Arc::new(Shared::new(this.executor, *this.header_read_timeout)?);
                *this.shared = Some(Arc::clone(&shared));
                shared
            }
        };
        for _ in 0..ACCEPT_BUDGET {
            if let Some(cap) = *this.max_connections {
                if shared.open.load(Ordering::SeqCst) >= cap {
                    let listener = this.at_cap.get_or_insert_with(|| shared.changed.listen());
                    // Checked again after listening, so a close in between is not missed.
                    if shared.open.load(Ordering::SeqCst) >= cap {
                        std::task::ready!(Pin::new(listener).poll(cx));
                    }
                    *this.at_cap = None;
                    continue;
                }
            }
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
            shared.open.fetch_add(1, Ordering::SeqCst);
            let peer = this.peer_addr.read(&io);
            let connection = Arc::clone(&shared).serve(io, peer, this.service.clone());
            this.executor.spawn(Box::pin(connection));
        }
        // Let the connections just spawned (and everything else) run before accepting more.
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

impl<I, IO, S, B, E, P> Serve<I, S, E, P>
where
    P: ReadPeerAddr<IO>,
    I: Stream<Item = io::Result<IO>>,
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
    E: Executor + Clone,
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
    pub async fn with_graceful_shutdown<F>(self, signal: F) -> io::Result<()>
    where
        F: Future<Output = ()>,
    {
        let shared = {
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
            serve.project().shared.take()
        }; // the listener stream is dropped here: no new connection is accepted
        if let Some(shared) = shared {
            shared.closing.store(true, Ordering::SeqCst);
            shared.changed.notify(usize::MAX);
            shared
                .until(|shared| shared.open.load(Ordering::SeqCst) == 0)
                .await;
        }
        Ok(())
    }
}

impl<I, S, E: fmt::Debug, P> fmt::Debug for Serve<I, S, E, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Serve")
            .field("executor", &self.executor)
            .field("header_read_timeout", &self.header_read_timeout)
            .field("max_connections", &self.max_connections)
            .finish_non_exhaustive()
    }
}

/// What a server shares with its connections.
struct Shared<E> {
    builder: auto::Builder<HyperExecutor<E>>,
    executor: E,
    header_read_timeout: Option<Duration>,
    // Connections being served.
    open: AtomicUsize,
    // Set by a graceful shutdown: connections finish their response and close.
    closing: AtomicBool,
    // Notified when `closing` is set and whenever a connection ends.
    changed: Event,
}

impl<E: Executor + Clone> Shared<E> {
    fn new(executor: &E, header_read_timeout: Option<Duration>) -> io::Result<Self> {
        let mut builder = auto::Builder::new(HyperExecutor(executor.clone()));
        if let Some(timeout) = header_read_timeout {
            if executor.sleep(Duration::ZERO).is_none() {
                return Err(io::Error::other(
                    "server::serve's header-read timeout needs a timer, but this executor's \
                     `sleep` returns None; implement `Executor::sleep` or call \
                     `header_read_timeout(None)`",
                ));
            }
            builder
                .http1()
                .timer(HyperTimer(executor.clone()))
                .header_read_timeout(timeout);
        } else {
            builder.http1().header_read_timeout(None);
        }
        Ok(Self {
            builder,
            executor: executor.clone(),
            header_read_timeout,
            open: AtomicUsize::new(0),
            closing: AtomicBool::new(false),
            changed: Event::new(),
        })
    }

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

    /// Serves one connection until it closes, is cut for slow headers, or has finished
    /// gracefully after the server started closing.
    async fn serve<IO, S, B>(self: Arc<Self>, io: IO, peer: Option<SocketAddr>, service: S)
    where
        IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
        S: Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
        S::Future: Send + 'static,
        S::Error: Into<BoxError>,
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        let _open = Open(&self);
        let first = Arc::new(AtomicBool::new(false));
        let service = FirstRequest {
            inner: TowerToHyperService::new(service),
            seen: Arc::clone(&first),
            peer: peer.map(PeerAddr),
        };
        let connection = self.builder.serve_connection(Socket::new(io), service);
        let mut connection = std::pin::pin!(connection);
        let mut closing =
            std::pin::pin!(self.until(|shared| shared.closing.load(Ordering::SeqCst)));
        let mut phase = Phase::AwaitingFirstRequest {
            deadline: self
                .header_read_timeout
                .and_then(|timeout| self.executor.sleep(timeout)),
        };
        let result = std::future::poll_fn(|cx| {
            if !matches!(phase, Phase::Closing) && closing.as_mut().poll(cx).is_ready() {
                phase = Phase::Closing;
                connection.as_mut().graceful_shutdown();
            }
            if let Phase::AwaitingFirstRequest { deadline } = &mut phase {
                if first.load(Ordering::SeqCst) {
                    phase = Phase::Serving;
                } else if let Some(sleep) = deadline {
                    if sleep.as_mut().poll(cx).is_ready() {
                        return Poll::Ready(Err(BoxError::from(
                            "no request headers within the header-read timeout",
                        )));
                    }
                }
            }
            connection.as_mut().poll(cx)
        })
        .await;
        if let Err(error) = result {
            tracing::debug!(%error, "http connection ended with an error");
        }
    }
}

/// Where a served connection is: what its polls watch besides hyper's own.
enum Phase {
    /// No request's headers yet: cut at `deadline` (the header-read timeout). hyper's own timeout
    /// starts only once it knows the protocol, which a client sending a few bytes never lets it
    /// learn.
    AwaitingFirstRequest { deadline: Option<BoxFuture<()>> },
    /// Serving requests: hyper times each later request's headers itself.
    Serving,
    /// The server is closing: the connection was asked, once, to finish its response and close.
    Closing,
}

/// Counts a connection as open until it is dropped.
struct Open<'a, E>(&'a Shared<E>);

impl<E> Drop for Open<'_, E> {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::SeqCst);
        self.0.changed.notify(usize::MAX);
    }
}

/// A connection's service, noting that a request has arrived (its headers complete) and handing
/// it the connection's peer address.
struct FirstRequest<S> {
    inner: TowerToHyperService<S>,
    seen: Arc<AtomicBool>,
    peer: Option<PeerAddr>,
}

impl<S, B> hyper::service::Service<Request<B>> for FirstRequest<S>
where
    TowerToHyperService<S>: hyper::service::Service<Request<B>>,
{
    type Response = <TowerToHyperService<S> as hyper::service::Service<Request<B>>>::Response;
    type Error = <TowerToHyperService<S> as hyper::service::Service<Request<B>>>::Error;
    type Future = <TowerToHyperService<S> as hyper::service::Service<Request<B>>>::Future;

    fn call(&self, mut request: Request<B>) -> Self::Future {
        self.seen.store(true, Ordering::SeqCst);
        if let Some(peer) = self.peer {
            request.extensions_mut().insert(peer);
        }
        self.inner.call(request)
    }
}

/// Our executor as hyper's, for HTTP/2's streams.
#[derive(Clone)]
struct HyperExecutor<E>(E);

impl<E, F> hyper::rt::Executor<F> for HyperExecutor<E>
where
    E: Executor,
    F: Future<Output = ()> + Send + 'static,
{
    fn execute(&self, future: F) {
        self.0.spawn(Box::pin(future));
    }
}

/// Our executor's timer as hyper's, for HTTP/1's header-read timeout.
#[derive(Clone)]
struct HyperTimer<E>(E);

impl<E: Executor> hyper::rt::Timer for HyperTimer<E> {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        let sleep = self
            .0
            .sleep(duration)
            .expect("checked when the server started: the executor has a timer");
        Box::pin(HyperSleep(std::sync::Mutex::new(sleep)))
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        self.sleep(deadline.saturating_duration_since(Instant::now()))
    }
}

/// A sleep from [`Executor::sleep`], which is `Send`; hyper also wants `Sync`, which only a lock
/// gives without `unsafe`. It is taken only by the one task that polls it.
struct HyperSleep(std::sync::Mutex<BoxFuture<()>>);

impl Future for HyperSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let sleep = self
            .get_mut()
            .0
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        sleep.as_mut().poll(cx)
    }
}

impl hyper::rt::Sleep for HyperSleep {}

fn concerns_one_connection(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionRefused
            | io::ErrorKind::Interrupted
    )
}
