//! Shared by the example's tests: the example served on 127.0.0.1:0 by actix-web in a `System`
//! on a thread of its own, its tasks on a tokio runtime the test owns. The rest (a temporary log
//! file, the middleware's reports on a channel, connections from the conformance suite's HTTP
//! client) is `background_tasks_example_support::client`.

use std::ops::Deref;
use std::sync::mpsc;
use std::time::Duration;

use actix_web::web::ServiceConfig;
use background_tasks_actix::BackgroundTasksMiddleware;
use background_tasks_example_actix::{Settings, serve};
use background_tasks_example_support::client::TestServer;
use background_tasks_tokio::TokioExecutor;

/// One example served for one test, with its log file in a fresh temporary directory.
pub(crate) struct Server(TestServer);

impl Server {
    /// Serves the routes that `routes` builds, the middleware reporting to this server's channel.
    #[allow(dead_code)] // Not every test file needs it.
    pub(crate) fn start<R>(cleanup_delay: Duration, routes: fn(&Settings) -> R) -> Self
    where
        R: Fn(&mut ServiceConfig) + Clone + Send + 'static,
    {
        Self::tuned(
            move |settings| settings.cleanup_delay = cleanup_delay,
            routes,
        )
    }

    /// Serves the routes that `routes` builds with settings that `tune` adjusted.
    pub(crate) fn tuned<R>(tune: impl FnOnce(&mut Settings), routes: fn(&Settings) -> R) -> Self
    where
        R: Fn(&mut ServiceConfig) + Clone + Send + 'static,
    {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let executor = TokioExecutor::from_handle(runtime.handle().clone());
        let (started, handle) = mpsc::channel();
        let mut system = None;
        let server = TestServer::start_with(
            "actix",
            tune,
            |hook| BackgroundTasksMiddleware::new(executor).on_report(hook),
            |settings, middleware| {
                let listener = std::net::TcpListener::bind(settings.addr).unwrap();
                let addr = listener.local_addr().unwrap();
                let (settings, routes) = (settings.clone(), routes(settings));
                system = Some(std::thread::spawn(move || {
                    actix_web::rt::System::new().block_on(async move {
                        let server = serve(&settings, listener, routes, middleware).unwrap();
                        started.send(server.handle()).unwrap();
                        let _ = server.await;
                    });
                }));
                addr
            },
        );
        let handle = handle.recv().unwrap();
        Self(server.on_drop(move || {
            futures_lite::future::block_on(handle.stop(false));
            if let Some(system) = system {
                let _ = system.join();
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
