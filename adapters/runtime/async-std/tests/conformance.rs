//! The conformance suites on async-std's global runtime: the executor checks, and the HTTP checks
//! served by `background_tasks_server::serve` on async-std's `TcpListener`.

use std::net::TcpListener as StdTcpListener;
use std::sync::Mutex;

use async_std::net::TcpListener;
use async_std::task::JoinHandle;
use background_tasks_async_std::AsyncStdExecutor;
use background_tasks_conformance::http::{HttpService, TowerHarness};
use background_tasks_conformance::{Harness, conformance_suite, framework_http_conformance_suite};
use background_tasks_server as server;

/// async-std's global runtime, started with one async worker thread.
///
/// That worker runs spawned tasks without anyone blocking on the runtime, so the server needs no
/// thread of its own; it runs the accept loop, every connection and every async task.
struct AsyncStd {
    servers: Mutex<Vec<JoinHandle<()>>>,
}

impl Harness for AsyncStd {
    type Executor = AsyncStdExecutor;

    fn new() -> Self {
        // async-std starts its global executor through async-global-executor, whose first
        // configuration wins: give it one worker before async-std's first use.
        async_global_executor::init_with_config(
            async_global_executor::GlobalExecutorConfig::default()
                .with_min_threads(1)
                .with_max_threads(1),
        );
        Self {
            servers: Mutex::default(),
        }
    }

    fn executor(&self) -> AsyncStdExecutor {
        AsyncStdExecutor::new()
    }

    fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        async_std::task::block_on(future)
    }
}

impl TowerHarness for AsyncStd {
    fn serve(&self, listener: StdTcpListener, service: HttpService) {
        let server = async_std::task::spawn(async move {
            let listener = TcpListener::from(listener);
            // A failed accept ends this server only; the check then fails on its client's side.
            let _ = server::serve(listener.incoming(), service, AsyncStdExecutor::new()).await;
        });
        self.servers.lock().unwrap().push(server);
    }
}

impl Drop for AsyncStd {
    fn drop(&mut self) {
        // Dropping a JoinHandle detaches the task: cancel the accept loops instead. Connections
        // end with their clients.
        for server in self.servers.get_mut().unwrap().drain(..) {
            async_std::task::block_on(server.cancel());
        }
    }
}

conformance_suite!(async_std_global, AsyncStd);

framework_http_conformance_suite!(async_std_global_http, AsyncStd);
