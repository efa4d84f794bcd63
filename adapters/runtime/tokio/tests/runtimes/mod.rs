//! The tokio runtimes the suites run on, shared by the test files: a current-thread runtime and a
//! one-worker multi-thread runtime, each able to serve HTTP with hyper-util's auto server
//! (HTTP/1.1, and HTTP/2 with prior knowledge).

use std::net::TcpListener as StdTcpListener;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use background_tasks_conformance::Harness;
use background_tasks_conformance::http::{HttpService, TowerHarness};
use background_tasks_tokio::TokioExecutor;
use hyper_util::rt::{TokioExecutor as HyperExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::runtime::{Builder, Runtime};
use tokio::sync::oneshot;

/// Accepts connections and serves each, in a task of its own, with hyper-util's auto builder: it
/// reads the connection's preface and speaks HTTP/1.1 or HTTP/2 accordingly.
async fn accept(listener: TcpListener, service: HttpService) {
    let builder = Arc::new(auto::Builder::new(HyperExecutor::new()));
    while let Ok((stream, _)) = listener.accept().await {
        let (builder, service) = (Arc::clone(&builder), service.clone());
        tokio::spawn(async move {
            // A client hanging up mid-response is what some checks do: not a failure here.
            let _ = builder
                .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
                .await;
        });
    }
}

/// A current-thread runtime: spawned tasks run on the thread that blocks on it.
///
/// The HTTP checks talk to the server from the check's thread with a blocking client, so while a
/// server lives a thread of its own drives the runtime (blocking on it until the harness drops).
/// That one thread runs the accept loop, every connection and every async task: the strictest
/// setting for C10, where a waiting task must not hold up the connections.
pub(crate) struct CurrentThread {
    runtime: Arc<Runtime>,
    driver: Mutex<Option<Driver>>,
}

/// The thread driving a current-thread runtime while it serves, and how to stop it.
struct Driver {
    stop: oneshot::Sender<()>,
    thread: JoinHandle<()>,
}

impl CurrentThread {
    /// Starts the driving thread, once.
    fn drive(&self) {
        let mut driver = self.driver.lock().unwrap();
        if driver.is_none() {
            let (stop, stopped) = oneshot::channel::<()>();
            let runtime = Arc::clone(&self.runtime);
            let thread = std::thread::Builder::new()
                .name("current-thread-driver".into())
                .spawn(move || {
                    let _ = runtime.block_on(stopped);
                })
                .expect("spawning the runtime's driver");
            *driver = Some(Driver { stop, thread });
        }
    }
}

impl Harness for CurrentThread {
    type Executor = TokioExecutor;

    fn new() -> Self {
        Self {
            runtime: Arc::new(Builder::new_current_thread().enable_all().build().unwrap()),
            driver: Mutex::default(),
        }
    }

    fn executor(&self) -> TokioExecutor {
        TokioExecutor::from_handle(self.runtime.handle().clone())
    }

    fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }
}

impl TowerHarness for CurrentThread {
    fn serve(&self, listener: StdTcpListener, service: HttpService) {
        // Registering the socket needs the runtime's reactor.
        let listener = {
            let _entered = self.runtime.enter();
            TcpListener::from_std(listener).expect("registering the listener")
        };
        self.runtime.spawn(accept(listener, service));
        self.drive();
    }
}

impl Drop for CurrentThread {
    fn drop(&mut self) {
        if let Some(Driver { stop, thread }) = self.driver.get_mut().unwrap().take() {
            let _ = stop.send(());
            let _ = thread.join();
        }
    }
}

/// A multi-thread runtime with one worker: the work-stealing scheduler, with the single async
/// worker the executor suite needs to see a stalled worker.
///
/// Its worker runs spawned tasks without anyone blocking on the runtime, so the server needs no
/// thread of its own; one worker is enough for the HTTP checks too, since neither the server nor
/// the checks' async tasks block (their blocking tasks go to the blocking pool, per C5).
pub(crate) struct MultiThread(Runtime);

impl Harness for MultiThread {
    type Executor = TokioExecutor;

    fn new() -> Self {
        Self(
            Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap(),
        )
    }

    fn executor(&self) -> TokioExecutor {
        // Built inside the runtime, as handlers would: the ambient-runtime constructor.
        self.0.block_on(async { TokioExecutor::new() })
    }

    fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.0.block_on(future)
    }
}

impl TowerHarness for MultiThread {
    // The production setup: it carries the suite's long load run.
    const LOAD_REQUESTS: usize = background_tasks_conformance::http::REFERENCE_LOAD_REQUESTS;

    fn serve(&self, listener: StdTcpListener, service: HttpService) {
        let listener = {
            let _entered = self.0.enter();
            TcpListener::from_std(listener).expect("registering the listener")
        };
        // Dropping the runtime with the harness stops the server.
        self.0.spawn(accept(listener, service));
    }
}
