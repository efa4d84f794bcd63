//! [`HttpHarness`]: what the HTTP checks need from a framework on a runtime; [`TowerHarness`]: the
//! same for a server of tower services, and the service type the checks hand it.

use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};

use background_tasks::BoxError;
use http::{Request, Response};
use http_body::Body;
use http_body_util::BodyExt;
use http_body_util::combinators::UnsyncBoxBody;
use hyper::body::{Bytes, Incoming};
use socket2::{Domain, Socket, Type};
use tower::util::BoxCloneService;
use tower::{Service, ServiceExt};

use crate::Harness;
use crate::http::app::{App, tower_service};

/// The response body of an [`HttpService`]: any body, boxed, so that every check serves one type.
pub type HttpBody = UnsyncBoxBody<Bytes, BoxError>;

/// The service a [`TowerHarness`] is asked to serve: the check's [`App`] as
/// [`tower_service`] builds it (`BackgroundTasksLayer` with the settings under test around a
/// router that runs the check's handler), boxed. It is `Clone + Send`, as hyper's
/// servers need to serve it on many connections from any thread.
pub type HttpService = BoxCloneService<Request<Incoming>, Response<HttpBody>, Infallible>;

/// A framework served on a runtime: the [`Harness`] under test, plus a way to serve an [`App`], the
/// check's description of its settings and handler, with the framework's own integration.
///
/// Every [`TowerHarness`] is one, through [`tower_service`]. A harness for another framework (as
/// `background-tasks-actix`'s for actix-web) implements this directly: it builds its app and
/// middleware from the description, serves it on the listener, and keeps it running until the
/// harness is dropped. It is then called with
/// [`framework_http_conformance_suite!`](crate::framework_http_conformance_suite), which runs
/// the checks written against this trait.
pub trait HttpHarness: Harness {
    /// Whether the server polls the body of a response to `HEAD` (and sends none of it), as
    /// actix-web does, rather than dropping it unpolled, as hyper does. The `HEAD` check then
    /// expects the body's end before the tasks start, instead of no end at all.
    const POLLS_HEAD_BODIES: bool = false;

    /// How many requests `c14_every_task_runs_exactly_once_under_load` sends
    /// ([`LOAD_REQUESTS`](crate::http::LOAD_REQUESTS), 2,000). One harness per workspace, the
    /// one closest to production, sends [`REFERENCE_LOAD_REQUESTS`](crate::http::REFERENCE_LOAD_REQUESTS)
    /// (20,000): the clause is the same, and its rarest races need one long run, not one per
    /// harness.
    const LOAD_REQUESTS: usize = crate::http::LOAD_REQUESTS;

    /// Serves `app` on connections accepted from `listener` (see [`local_listener`]), HTTP/1.1
    /// with keep-alive and HTTP/2 with prior knowledge (h2c) alike (the `c01_h2_*` and `c08_h2_*`
    /// checks talk HTTP/2), until the harness is dropped, running the request's tasks with the app's
    /// runner, or a default one on [`executor`](Harness::executor).
    ///
    /// # Panics
    ///
    /// May panic if the framework cannot take the listener; the check then fails.
    fn serve_app(&self, listener: TcpListener, app: App<Self::Executor>);
}

impl<H: TowerHarness> HttpHarness for H {
    const LOAD_REQUESTS: usize = <H as TowerHarness>::LOAD_REQUESTS;

    fn serve_app(&self, listener: TcpListener, app: App<Self::Executor>) {
        self.serve(listener, tower_service(app, self.executor()));
    }
}

/// A runtime that can also serve tower services over HTTP: the [`Harness`] under test, plus a
/// server on it.
///
/// For each HTTP check, [`tower_service`] builds the check's [`App`] (`BackgroundTasksLayer` on
/// [`executor`](Harness::executor) around a router of the check's handler), binds a
/// [`local_listener`], and asks the harness to serve the result there. They then talk
/// to it from the check's thread with a blocking client, so the server must make progress on its
/// own threads: a runtime that only runs while someone blocks on it (tokio's current-thread
/// runtime, an explicit `smol::Executor`) needs a thread that drives it while the server lives.
///
/// # Examples
///
/// On smol, with the crate's `server` feature:
///
/// ```
/// use background_tasks_conformance::http::{HttpService, TowerHarness};
/// use background_tasks_smol::SmolExecutor;
/// # use std::sync::Mutex;
/// # use background_tasks_conformance::Harness;
/// # #[derive(Default)] struct Global { servers: Mutex<Vec<smol::Task<()>>> }
/// # impl Harness for Global {
/// #     type Executor = SmolExecutor;
/// #     fn new() -> Self { Self::default() }
/// #     fn executor(&self) -> SmolExecutor { SmolExecutor::new() }
/// #     fn block_on<F: std::future::Future>(&self, f: F) -> F::Output { smol::block_on(f) }
/// # }
///
/// impl TowerHarness for Global {
///     fn serve(&self, listener: std::net::TcpListener, service: HttpService) {
///         let listener = smol::net::TcpListener::try_from(listener).unwrap();
///         let server = async move {
///             let incoming = listener.incoming();
///             let _ = background_tasks_server::serve(incoming, service, SmolExecutor::new())
///                 .await;
///         };
///         // Kept in the harness: dropping it stops accepting.
///         self.servers.lock().unwrap().push(smol::spawn(server));
///     }
/// }
/// ```
pub trait TowerHarness: Harness {
    /// As [`HttpHarness::LOAD_REQUESTS`].
    const LOAD_REQUESTS: usize = crate::http::LOAD_REQUESTS;

    /// Serves `service` with HTTP/1.1 (keep-alive) and HTTP/2 with prior knowledge (h2c) on
    /// connections accepted from `listener`, on this runtime, until the harness is dropped.
    ///
    /// `listener` is bound to 127.0.0.1 with a small send buffer and set non-blocking (see
    /// [`local_listener`]); convert it with your runtime's `TcpListener::from_std` or `TryFrom`.
    /// Each connection speaks the protocol its client opens with (hyper-util's `auto` connection
    /// and `background_tasks_server::serve` do that): the `c01_h2_*` and `c08_h2_*` checks
    /// talk HTTP/2, the others HTTP/1.1.
    ///
    /// # Panics
    ///
    /// May panic if the runtime cannot take the listener; the check then fails.
    fn serve(&self, listener: TcpListener, service: HttpService);
}

/// The send buffer the suite asks for on the server's sockets (the kernel may round it up).
const SEND_BUFFER: usize = 16 * 1024;

/// The receive buffer of [`Client::connect_small_window`](crate::http::Client::connect_small_window).
pub(crate) const RECEIVE_BUFFER: usize = 16 * 1024;

/// A listener on 127.0.0.1 with a port chosen by the system, non-blocking, whose accepted sockets
/// have a small send buffer.
///
/// The small buffer is what makes a paused client observable: once the client stops reading, the
/// server's writes stop after a few dozen KiB instead of the megabytes the kernel would otherwise
/// buffer on loopback, so a large response body cannot reach its end behind the client's back.
///
/// # Panics
///
/// If the socket cannot be created or bound.
pub fn local_listener() -> TcpListener {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).expect("creating a TCP socket");
    // Accepted sockets inherit the listener's buffer sizes.
    socket
        .set_send_buffer_size(SEND_BUFFER)
        .expect("setting the send buffer size");
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    socket.bind(&addr.into()).expect("binding 127.0.0.1:0");
    socket.listen(128).expect("listening");
    socket
        .set_nonblocking(true)
        .expect("making the listener non-blocking");
    socket.into()
}

/// Boxes `service` into an [`HttpService`], boxing its response body too.
///
/// # Examples
///
/// ```
/// use std::convert::Infallible;
///
/// use background_tasks_conformance::http::boxed_service;
/// use http::{Request, Response};
/// use hyper::body::Incoming;
///
/// let hello = tower::service_fn(|_: Request<Incoming>| async {
///     Ok::<_, Infallible>(Response::new(http_body_util::Full::from("hello")))
/// });
/// let service = boxed_service(hello);
/// # let _ = service;
/// ```
pub fn boxed_service<S, B>(service: S) -> HttpService
where
    S: Service<Request<Incoming>, Response = Response<B>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    BoxCloneService::new(
        service
            .map_response(|response| response.map(|body| body.map_err(Into::into).boxed_unsync())),
    )
}
