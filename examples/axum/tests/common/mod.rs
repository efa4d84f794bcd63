//! Shared by the example's tests: the example served on 127.0.0.1:0 on a tokio runtime of its
//! own. The rest (a temporary log file, the layer's reports on a channel, connections from the
//! conformance suite's HTTP client) is `background_tasks_example_support::client`.

use std::ops::Deref;
use std::time::Duration;

use axum::Router;
use background_tasks_example_axum::{Settings, serve};
use background_tasks_example_support::client::TestServer;
use background_tasks_tokio::TokioExecutor;
use background_tasks_tower::BackgroundTasksLayer;

/// One example served for one test, with its log file in a fresh temporary directory.
pub(crate) struct Server(TestServer);

impl Server {
    /// Serves the app that `app` builds, its layer reporting to this server's channel.
    #[allow(dead_code)] // Not every test file needs it.
    pub(crate) fn start(
        cleanup_delay: Duration,
        app: impl FnOnce(&Settings, BackgroundTasksLayer<TokioExecutor>) -> Router,
    ) -> Self {
        Self::tuned(move |settings| settings.cleanup_delay = cleanup_delay, app)
    }

    /// Serves the app that `app` builds with settings that `tune` adjusted.
    pub(crate) fn tuned(
        tune: impl FnOnce(&mut Settings),
        app: impl FnOnce(&Settings, BackgroundTasksLayer<TokioExecutor>) -> Router,
    ) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let executor = TokioExecutor::from_handle(runtime.handle().clone());
        let server = TestServer::start("axum", tune, executor, |settings, layer| {
            let app = app(settings, layer);
            let listener = runtime
                .block_on(tokio::net::TcpListener::bind(settings.addr))
                .unwrap();
            let addr = listener.local_addr().unwrap();
            let settings = settings.clone();
            runtime.spawn(async move { serve(&settings, listener, app).await });
            addr
        });
        Self(server.on_drop(move || runtime.shutdown_background()))
    }
}

impl Deref for Server {
    type Target = TestServer;

    fn deref(&self) -> &TestServer {
        &self.0
    }
}
