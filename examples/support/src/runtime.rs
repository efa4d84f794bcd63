//! [`Runtime`]: what the hyper examples (smol, async-std) take from their async runtime. Serving
//! (the `serve` module), the test server and the third example's cleanup are written once against
//! it; each example crate implements it with its runtime's calls, and nothing else.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use background_tasks::Executor;
use futures_core::Stream;
use futures_io::{AsyncRead, AsyncWrite};

/// An async runtime as the hyper examples use it: its executor, its TCP listener, its timer and
/// its async file I/O.
pub trait Runtime: 'static {
    /// The runtime's name, for messages and temporary directories: `smol`, `async-std`.
    const NAME: &'static str;

    /// The executor the layer runs background tasks on and the server runs connections on.
    type Executor: Executor + Clone;
    /// The runtime's TCP listener.
    type Listener: Send + 'static;
    /// A connection the listener accepted.
    type Connection: AsyncRead + AsyncWrite + Unpin + Send + 'static;

    /// A handle to the runtime's executor.
    fn executor() -> Self::Executor;

    /// Runs `future` to its end on the current thread, the runtime's tasks running meanwhile.
    fn block_on<F: Future>(future: F) -> F::Output;

    /// Binds a listener to `addr`.
    ///
    /// # Errors
    ///
    /// When the address cannot be bound.
    fn bind(addr: SocketAddr) -> impl Future<Output = io::Result<Self::Listener>> + Send;

    /// The address `listener` is bound to (the port chosen for port 0).
    ///
    /// # Errors
    ///
    /// When the socket cannot tell.
    fn local_addr(listener: &Self::Listener) -> io::Result<SocketAddr>;

    /// The connections `listener` accepts.
    fn incoming(
        listener: &Self::Listener,
    ) -> impl Stream<Item = io::Result<Self::Connection>> + Send + '_;

    /// The peer address of `connection`: the status page lets loopback peers read.
    ///
    /// # Errors
    ///
    /// When the socket cannot tell (it is closed).
    fn peer_addr(connection: &Self::Connection) -> io::Result<SocketAddr>;

    /// Waits `delay` on the runtime's timer.
    fn sleep(delay: Duration) -> impl Future<Output = ()> + Send;

    /// Appends `text` to the file at `path`, creating it if needed, with the runtime's async file
    /// I/O; resolves once `text` is in the file.
    ///
    /// # Errors
    ///
    /// When the file cannot be opened or written.
    fn append(path: PathBuf, text: String) -> impl Future<Output = io::Result<()>> + Send;
}
