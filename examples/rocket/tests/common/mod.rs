//! Shared by the example's tests: the example served on 127.0.0.1:0 by Rocket on a tokio runtime
//! the test owns. The rest (a temporary log file, the fairing's reports on a channel, connections
//! from the conformance suite's HTTP client) is `background_tasks_example_support::client`.

use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::mpsc;
use std::time::Duration;

use background_tasks_example_rocket::{Settings, app, with_status_page};
use background_tasks_example_support::client::TestServer;
use background_tasks_rocket::BackgroundTasksFairing;
use background_tasks_tokio::TokioExecutor;
use rocket::Route;
use rocket::fairing::AdHoc;

/// One example served for one test, with its log file in a fresh temporary directory.
pub(crate) struct Server(TestServer);

impl Server {
    /// Serves the routes that `routes` builds, the fairing reporting to this server's channel.
    #[allow(dead_code)] // Not every test file needs it.
    pub(crate) fn start(cleanup_delay: Duration, routes: fn() -> Vec<Route>) -> Self {
        Self::tuned(|settings| settings.cleanup_delay = cleanup_delay, routes)
    }

    /// Serves the routes that `routes` builds, with the settings `tune` changes and the status
    /// page at their prefix, as the example's `run` serves them.
    pub(crate) fn tuned(tune: impl FnOnce(&mut Settings), routes: fn() -> Vec<Route>) -> Self {
        let runtime = rocket::tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let executor = TokioExecutor::from_handle(runtime.handle().clone());
        let (lifted, liftoff) = mpsc::channel();
        let mut shutdown = None;
        let server = TestServer::start_with(
            "rocket",
            tune,
            |hook| BackgroundTasksFairing::new(executor).on_report(hook),
            |settings: &Settings, fairing| {
                let rocket = with_status_page(app(settings, routes()), settings, &fairing)
                    .attach(fairing)
                    .attach(AdHoc::on_liftoff("liftoff", move |rocket| {
                        let ready = (
                            SocketAddr::from((rocket.config().address, rocket.config().port)),
                            rocket.shutdown(),
                        );
                        Box::pin(async move {
                            let _ = lifted.send(ready);
                        })
                    }));
                runtime.spawn(async move {
                    let _ = rocket.launch().await;
                });
                let (addr, handle) = liftoff.recv_timeout(Duration::from_secs(10)).unwrap();
                shutdown = Some(handle);
                addr
            },
        );
        Self(server.on_drop(move || {
            if let Some(shutdown) = shutdown {
                shutdown.notify();
            }
            runtime.shutdown_background();
        }))
    }
}

impl Deref for Server {
    type Target = TestServer;

    fn deref(&self) -> &TestServer {
        &self.0
    }
}
