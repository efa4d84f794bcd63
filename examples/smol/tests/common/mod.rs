//! Shared by the example's tests: the example served on 127.0.0.1:0 by a thread of its own. The
//! rest (a temporary log file, the layer's reports on a channel, a blocking HTTP/1.1 client) is
//! `background_tasks_example_support::client`.

use std::ops::Deref;
use std::time::Duration;

use background_tasks::BoxError;
use background_tasks_example_smol::{Settings, serve};
use background_tasks_example_support::client::TestServer;
use background_tasks_smol::SmolExecutor;
use background_tasks_tower::BackgroundTasksLayer;
use hyper::body::Incoming;
use hyper::{Request, Response};
use tower::Service;

/// One example served for one test, with its log file in a fresh temporary directory.
pub(crate) struct Server(TestServer);

impl Server {
    /// Serves the service that `service` builds, its layer reporting to this server's channel.
    #[allow(dead_code)] // Not every test file needs it.
    pub(crate) fn start<S, B>(
        cleanup_delay: Duration,
        service: impl FnOnce(&Settings, BackgroundTasksLayer<SmolExecutor>) -> S,
    ) -> Self
    where
        S: Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
        S::Future: Send + 'static,
        S::Error: Into<BoxError>,
        B: hyper::body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        Self::tuned(
            move |settings| settings.cleanup_delay = cleanup_delay,
            service,
        )
    }

    /// Serves the service that `service` builds with settings that `tune` adjusted.
    pub(crate) fn tuned<S, B>(
        tune: impl FnOnce(&mut Settings),
        service: impl FnOnce(&Settings, BackgroundTasksLayer<SmolExecutor>) -> S,
    ) -> Self
    where
        S: Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
        S::Future: Send + 'static,
        S::Error: Into<BoxError>,
        B: hyper::body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        Self(TestServer::start(
            "smol",
            tune,
            SmolExecutor::new(),
            |settings, layer| {
                let service = service(settings, layer);
                let listener = smol::block_on(smol::net::TcpListener::bind(settings.addr)).unwrap();
                let addr = listener.local_addr().unwrap();
                // The server runs until the test process ends.
                let settings = settings.clone();
                std::thread::spawn(move || smol::block_on(serve(&settings, listener, service)));
                addr
            },
        ))
    }
}

impl Deref for Server {
    type Target = TestServer;

    fn deref(&self) -> &TestServer {
        &self.0
    }
}
