//! Serving an example on a [`Runtime`] with `background_tasks_server::serve`: [`serve`] for tests
//! and embedding, [`run`] for the binaries (status page, Ctrl-C or SIGTERM, drain),
//! [`run_from_env`] for a binary's whole `main`. The smol and async-std examples wrap them with their runtime.

use std::io;

use background_tasks::{BoxError, Runner};
use background_tasks_server as server;
use background_tasks_status::{Mounted, StatusPage};
use background_tasks_tower::BackgroundTasksLayer;
use hyper::body::{Body, Bytes, Incoming};
use hyper::{Request, Response};
use tower::Service;

use crate::{Runtime, SHUTDOWN_DEADLINE, Settings, shutdown_summary};

/// What the server serves: a tower service of hyper requests, cloned for each connection, its
/// futures and bodies sent to the executor. The examples' services are, and so is the status page
/// mounted in front of one.
pub trait Servable:
    Service<
        Request<Incoming>,
        Response = Response<Self::Body>,
        Error: Into<BoxError>,
        Future: Send + 'static,
    > + Clone
    + Send
    + 'static
{
    /// The response body.
    type Body: Body<Data = Bytes, Error: Into<BoxError>> + Send + 'static;
}

impl<S, B> Servable for S
where
    S: Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Body<Data = Bytes, Error: Into<BoxError>> + Send + 'static,
{
    type Body = B;
}

/// Serves `service` on `listener` (HTTP/1.1 and HTTP/2 on hyper, with
/// `settings.header_read_timeout`), each connection a task on `R`'s executor that knows its peer
/// address, until the listener fails.
///
/// # Errors
///
/// When the listener fails.
pub async fn serve<R: Runtime, S: Servable>(
    settings: &Settings,
    listener: R::Listener,
    service: S,
) -> io::Result<()> {
    server_on::<R, S>(settings, &listener, service).await
}

/// Binds `settings.addr`, prints the address it listens on (useful with port 0), mounts the
/// status page at `settings.status_prefix` in front of `service` ([`with_status_page`]), and
/// serves until Ctrl-C (or SIGTERM); then shuts down gracefully: ends the page's live streams,
/// stops accepting, lets responses finish, and drains the background tasks with `runner` (the
/// layer's), for up to [`SHUTDOWN_DEADLINE`].
///
/// # Errors
///
/// When the address cannot be bound, the signals cannot be listened to, or the listener fails.
pub async fn run<R: Runtime, S: Servable>(
    settings: &Settings,
    service: S,
    runner: Runner<R::Executor>,
) -> io::Result<()> {
    let (service, page, runner) = with_status_page(settings, service, runner);
    let listener = R::bind(settings.addr).await?;
    let addr = R::local_addr(&listener)?;
    println!("listening on http://{addr} (Ctrl-C stops)");
    println!("status page: http://{addr}{}", settings.status_prefix);
    // Installed before serving, so that a signal while the server starts is not missed.
    let stop = server::shutdown_signal()?;
    server_on::<R, _>(settings, &listener, service)
        .with_graceful_shutdown(async move {
            stop.await;
            page.end_streams();
        })
        .await?;
    let report = runner.shutdown(SHUTDOWN_DEADLINE).await;
    println!("{}", shutdown_summary(&report));
    Ok(())
}

/// A binary's `main`: the settings from the environment, a layer on `R`'s executor, the service
/// `service` builds with them, [`run`] on `R` until Ctrl-C or SIGTERM.
///
/// # Errors
///
/// As [`Settings::from_env`] and [`run`].
pub fn run_from_env<R: Runtime, S: Servable>(
    service: impl FnOnce(&Settings, BackgroundTasksLayer<R::Executor>) -> S,
) -> io::Result<()> {
    let settings = Settings::from_env()?;
    let layer = BackgroundTasksLayer::new(R::executor());
    let runner = layer.runner().clone();
    R::block_on(run::<R, _>(&settings, service(&settings, layer), runner))
}

/// Mounts `runner`'s status page at `settings.status_prefix` in front of `service`, giving the
/// runner an observer if it has none yet (the layer that made `runner` shares it).
///
/// Access is the page's default: read-only for loopback peers ([`serve`] and [`run`] hand the
/// page each connection's peer address), `403` for everyone else.
pub fn with_status_page<S, E: background_tasks::Executor + Clone>(
    settings: &Settings,
    service: S,
    runner: Runner<E>,
) -> (Mounted<S>, StatusPage, Runner<E>) {
    let page = crate::status_page(&runner);
    (page.mount(&settings.status_prefix, service), page, runner)
}

/// How the server reads a connection's peer address on `R`: [`Runtime::peer_addr`].
type PeerAddrOf<R> = fn(&<R as Runtime>::Connection) -> io::Result<std::net::SocketAddr>;

/// The one server both [`serve`] and [`run`] start, so that they serve alike.
fn server_on<'a, R: Runtime, S: Servable>(
    settings: &Settings,
    listener: &'a R::Listener,
    service: S,
) -> server::Serve<
    impl futures_core::Stream<Item = io::Result<R::Connection>> + 'a,
    S,
    R::Executor,
    PeerAddrOf<R>,
> {
    server::serve(R::incoming(listener), service, R::executor())
        .header_read_timeout(settings.header_read_timeout)
        .peer_addr(R::peer_addr as PeerAddrOf<R>)
}
