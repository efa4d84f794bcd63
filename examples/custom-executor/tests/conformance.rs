//! The same conformance suites the tokio, smol and async-std adapters pass, on a custom executor:
//! what a user of the library writes for their own scheduler. The HTTP suite serves with
//! `background_tasks_server::serve`, its sockets registered with async-io's reactor (which
//! runs on a thread of its own) and its connections spawned on this executor.

use std::net::TcpListener;
use std::sync::Mutex;

use async_io::Async;
use background_tasks::Executor;
use background_tasks_conformance::http::{HttpService, TowerHarness};
use background_tasks_conformance::{Harness, conformance_suite, framework_http_conformance_suite};
use background_tasks_example_custom_executor::{ThreadPoolExecutor, block_on};
use background_tasks_server as server;
use futures_channel::oneshot;

struct CustomPool(ThreadPoolExecutor, Mutex<Vec<oneshot::Sender<()>>>);

impl Harness for CustomPool {
    type Executor = ThreadPoolExecutor;

    fn new() -> Self {
        Self(ThreadPoolExecutor::with_threads(1, 4), Mutex::default())
    }

    fn executor(&self) -> ThreadPoolExecutor {
        self.0.clone()
    }

    fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        block_on(future)
    }
}

impl TowerHarness for CustomPool {
    fn serve(&self, listener: TcpListener, service: HttpService) {
        let listener = Async::new(listener).expect("registering the listener with async-io");
        // This executor has no timer, so the server cannot time headers out: say so, or it
        // refuses to start.
        // An owned stream of connections (`incoming()` would borrow the listener).
        let incoming = futures_lite::stream::unfold(listener, |listener| async move {
            let accepted = listener.accept().await.map(|(stream, _)| stream);
            Some((accepted, listener))
        });
        let serve =
            server::serve(Box::pin(incoming), service, self.0.clone()).header_read_timeout(None);
        // The server stops when the harness drops its end of the channel.
        let (stop, stopped) = oneshot::channel::<()>();
        self.1.lock().unwrap().push(stop);
        self.0.spawn(Box::pin(async move {
            let _ = serve
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
        }));
    }
}

conformance_suite!(custom_thread_pool, CustomPool);
framework_http_conformance_suite!(custom_thread_pool_http, CustomPool);
