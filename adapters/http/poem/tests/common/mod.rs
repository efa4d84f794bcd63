//! What only these tests need: a poem app served on 127.0.0.1 by poem's `Server`, on a tokio
//! runtime the test owns, until the test says stop. The client, the event log and the reports are
//! the conformance suite's.

// Each test binary uses a part of this module.
#![allow(dead_code)]

use std::io;
use std::net::SocketAddr;

use poem::listener::TcpAcceptor;
use poem::{IntoEndpoint, Server};
use tokio::sync::oneshot;

/// A poem server on `runtime`, shut down gracefully by [`stop`](Self::stop) (or when the runtime
/// goes).
pub(crate) struct PoemServer {
    pub(crate) addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    served: Option<tokio::task::JoinHandle<io::Result<()>>>,
}

impl PoemServer {
    /// Serves `app` on a new listener, with poem's graceful shutdown on [`stop`](Self::stop).
    pub(crate) fn start<E>(runtime: &tokio::runtime::Runtime, app: E) -> Self
    where
        E: IntoEndpoint + Send + 'static,
        E::Endpoint: 'static,
    {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let _context = runtime.enter();
        let server = Server::new_with_acceptor(TcpAcceptor::from_std(listener).unwrap())
            .run_with_graceful_shutdown(
                app,
                async move {
                    let _ = stopped.await;
                },
                None,
            );
        Self {
            addr,
            stop: Some(stop),
            served: Some(runtime.spawn(server)),
        }
    }

    /// Starts poem's graceful shutdown and waits (on `runtime`) until the server has stopped.
    pub(crate) fn stop(mut self, runtime: &tokio::runtime::Runtime) -> io::Result<()> {
        let _ = self.stop.take().expect("stopped once").send(());
        runtime
            .block_on(self.served.take().expect("stopped once"))
            .expect("the server task ran")
    }
}

/// A tokio runtime of one async worker, as the suite's harness has.
pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}
