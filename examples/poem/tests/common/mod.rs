//! Shared by the example's tests: the example served on 127.0.0.1:0 by poem on a tokio runtime
//! the test owns. The rest (a temporary log file, the middleware's reports on a channel,
//! connections from the conformance suite's HTTP client) is
//! `background_tasks_example_support::client`.

use std::ops::Deref;
use std::time::Duration;

use background_tasks_example_poem::{Settings, serve_until};
use background_tasks_example_support::client::TestServer;
use background_tasks_poem::BackgroundTasksMiddleware;
use background_tasks_tokio::TokioExecutor;
use poem::Endpoint;

/// One example served for one test, with its log file in a fresh temporary directory.
pub(crate) struct Server(TestServer);

impl Server {
    /// Serves the app that `app` builds, the middleware reporting to this server's channel.
    #[allow(dead_code)] // Not every test file needs it.
    pub(crate) fn start<E: Endpoint + 'static>(
        cleanup_delay: Duration,
        app: fn(&Settings) -> E,
    ) -> Self {
        Self::tuned(|settings| settings.cleanup_delay = cleanup_delay, app)
    }

    /// Serves the app that `app` builds, with the settings `tune` changes.
    pub(crate) fn tuned<E: Endpoint + 'static>(
        tune: impl FnOnce(&mut Settings),
        app: fn(&Settings) -> E,
    ) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let executor = TokioExecutor::from_handle(runtime.handle().clone());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = TestServer::start_with(
            "poem",
            tune,
            |hook| BackgroundTasksMiddleware::new(executor).on_report(hook),
            |settings, middleware| {
                let listener = std::net::TcpListener::bind(settings.addr).unwrap();
                let addr = listener.local_addr().unwrap();
                let app = app(settings);
                let _context = runtime.enter();
                let settings = settings.clone();
                runtime.spawn(async move {
                    serve_until(&settings, listener, app, middleware, async move {
                        let _ = stopped.await;
                    })
                    .await
                });
                addr
            },
        );
        Self(server.on_drop(move || {
            let _ = stop.send(());
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
