//! The conformance suites on smol, an explicit executor and smol's global one: the executor checks,
//! and the HTTP checks served by `background_tasks_server::serve` on smol's `TcpListener`.

use std::net::TcpListener as StdTcpListener;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use background_tasks_conformance::http::{HttpService, TowerHarness};
use background_tasks_conformance::{Harness, conformance_suite, framework_http_conformance_suite};
use background_tasks_server as server;
use background_tasks_smol::SmolExecutor;
use smol::Task;
use smol::channel::{Sender, bounded};
use smol::net::TcpListener;

/// Serves `service` on `listener`, spawning connections on `executor`; ends when dropped.
async fn serve(listener: StdTcpListener, service: HttpService, executor: SmolExecutor) {
    let listener = TcpListener::try_from(listener).expect("registering the listener");
    // A failed accept ends this server only; the check then fails on its client's side.
    let _ = server::serve(listener.incoming(), service, executor).await;
}

/// An explicit `smol::Executor`, driven by the thread that blocks on it.
///
/// The HTTP checks talk to the server from the check's thread with a blocking client, so while a
/// server lives a thread of its own runs the executor (until the harness drops). That one thread
/// runs the accept loop, every connection and every async task.
struct Explicit {
    executor: Arc<smol::Executor<'static>>,
    servers: Mutex<Vec<Task<()>>>,
    driver: Mutex<Option<(Sender<()>, JoinHandle<()>)>>,
}

impl Harness for Explicit {
    type Executor = SmolExecutor;

    fn new() -> Self {
        Self {
            executor: Arc::new(smol::Executor::new()),
            servers: Mutex::default(),
            driver: Mutex::default(),
        }
    }

    fn executor(&self) -> SmolExecutor {
        SmolExecutor::from(self.executor.clone())
    }

    fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        smol::block_on(self.executor.run(future))
    }
}

impl TowerHarness for Explicit {
    fn serve(&self, listener: StdTcpListener, service: HttpService) {
        let server = self
            .executor
            .spawn(serve(listener, service, self.executor()));
        self.servers.lock().unwrap().push(server);
        let mut driver = self.driver.lock().unwrap();
        if driver.is_none() {
            let (stop, stopped) = bounded::<()>(1);
            let executor = self.executor.clone();
            let thread = std::thread::Builder::new()
                .name("smol-executor-driver".into())
                .spawn(move || {
                    smol::block_on(executor.run(async {
                        let _ = stopped.recv().await;
                    }));
                })
                .expect("spawning the executor's driver");
            *driver = Some((stop, thread));
        }
    }
}

impl Drop for Explicit {
    fn drop(&mut self) {
        // Cancels the accept loops; connections end with their clients.
        self.servers.get_mut().unwrap().clear();
        if let Some((stop, thread)) = self.driver.get_mut().unwrap().take() {
            let _ = stop.try_send(());
            let _ = thread.join();
        }
    }
}

/// smol's global executor, which runs on its own thread (`SMOL_THREADS`, one by default): the
/// server runs there without a thread of its own.
struct Global {
    servers: Mutex<Vec<Task<()>>>,
}

impl Harness for Global {
    type Executor = SmolExecutor;

    fn new() -> Self {
        Self {
            servers: Mutex::default(),
        }
    }

    fn executor(&self) -> SmolExecutor {
        SmolExecutor::new()
    }

    fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        smol::block_on(future)
    }
}

impl TowerHarness for Global {
    fn serve(&self, listener: StdTcpListener, service: HttpService) {
        // Kept until the harness drops, which cancels the accept loop.
        let server = smol::spawn(serve(listener, service, SmolExecutor::new()));
        self.servers.lock().unwrap().push(server);
    }
}

conformance_suite!(smol_explicit_executor, Explicit);
conformance_suite!(smol_global_executor, Global);

framework_http_conformance_suite!(smol_explicit_executor_http, Explicit);
framework_http_conformance_suite!(smol_global_executor_http, Global);
