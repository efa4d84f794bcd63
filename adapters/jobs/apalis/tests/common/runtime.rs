//! The runtimes the bridge's checks run on, behind one small harness: an executor, a way to block
//! on a future, and the app served on that runtime by `background_tasks_server::serve`. What the
//! checks need besides (waiting with a bound, joining a spawned future, a blocking client) is
//! written once here on top of it, with nothing of any runtime's own.

use std::future::Future;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use axum::Router;
use background_tasks::Executor;
use background_tasks_async_std::AsyncStdExecutor;
use background_tasks_server as server;
use background_tasks_smol::SmolExecutor;
use background_tasks_tokio::TokioExecutor;
use futures_channel::oneshot;
use futures_lite::FutureExt;

/// One runtime: what a web app that hands jobs to apalis runs on.
pub trait Runtime: 'static {
    /// The runtime's name, in test output.
    const NAME: &'static str;
    /// Its executor, for the layer's runner and the bridge's pusher.
    type Executor: Executor + Clone;

    /// The executor; called inside [`block_on`](Self::block_on).
    fn executor() -> Self::Executor;

    /// Runs `future` to its end on this runtime, the calling thread waiting.
    fn block_on<F: Future>(future: F) -> F::Output;

    /// Binds 127.0.0.1:0 and serves `router` there with `background_tasks_server::serve`, in a
    /// task of this runtime, until the test process ends; returns the address.
    fn serve(router: Router) -> impl Future<Output = SocketAddr> + Send;
}

/// tokio: a multi-thread runtime of 2 workers; the server accepts from tokio's listener.
pub struct Tokio;

impl Runtime for Tokio {
    const NAME: &'static str = "tokio";
    type Executor = TokioExecutor;

    fn executor() -> TokioExecutor {
        TokioExecutor::new()
    }

    fn block_on<F: Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
            .block_on(future)
    }

    async fn serve(router: Router) -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let incoming = server::TokioIncoming::new(listener);
        let serving = server::serve(incoming, router, TokioExecutor::new());
        Self::executor().spawn(Box::pin(async move {
            serving.await.expect("the server failed");
        }));
        addr
    }
}

/// smol: its global executor, the server accepting from smol's listener.
pub struct Smol;

impl Runtime for Smol {
    const NAME: &'static str = "smol";
    type Executor = SmolExecutor;

    fn executor() -> SmolExecutor {
        SmolExecutor::new()
    }

    fn block_on<F: Future>(future: F) -> F::Output {
        smol::block_on(future)
    }

    async fn serve(router: Router) -> SocketAddr {
        let listener = smol::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        Self::executor().spawn(Box::pin(async move {
            server::serve(listener.incoming(), router, SmolExecutor::new())
                .await
                .expect("the server failed");
        }));
        addr
    }
}

/// async-std: its global runtime, the server accepting from async-std's listener.
pub struct AsyncStd;

impl Runtime for AsyncStd {
    const NAME: &'static str = "async-std";
    type Executor = AsyncStdExecutor;

    fn executor() -> AsyncStdExecutor {
        AsyncStdExecutor::new()
    }

    fn block_on<F: Future>(future: F) -> F::Output {
        async_std::task::block_on(future)
    }

    async fn serve(router: Router) -> SocketAddr {
        let listener = async_std::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        Self::executor().spawn(Box::pin(async move {
            server::serve(listener.incoming(), router, AsyncStdExecutor::new())
                .await
                .expect("the server failed");
        }));
        addr
    }
}

/// `future`'s output, or a panic naming `what` once `bound` has passed on the executor's own
/// timer: a failure bound, never a way to wait for something.
pub async fn within<E: Executor + ?Sized, F: Future>(
    executor: &E,
    bound: Duration,
    what: &str,
    future: F,
) -> F::Output {
    let timer = executor.sleep(bound).expect("the executor has a timer");
    future
        .or(async move {
            timer.await;
            panic!("{what}: not within {bound:?}");
        })
        .await
}

/// Spawns `future` on `executor` and returns its output, or its panic as `Err(message)`.
pub fn spawn<E, F>(
    executor: &E,
    future: F,
) -> impl Future<Output = Result<F::Output, String>> + use<E, F>
where
    E: Executor + ?Sized,
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let (sender, output) = oneshot::channel();
    executor.spawn(Box::pin(async move {
        let outcome = AssertUnwindSafe(future).catch_unwind().await;
        let _ = sender.send(
            outcome
                .map_err(|payload| background_tasks::integration::panic_message(payload.as_ref())),
        );
    }));
    async move { output.await.expect("the spawned task was dropped") }
}

/// Starts `work` (a blocking client, say) on a thread of its own at once, and returns its result
/// when awaited; its panic is resumed there.
pub fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> impl Future<Output = T> {
    let (sender, output) = oneshot::channel();
    std::thread::spawn(move || {
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(work));
        let _ = sender.send(outcome);
    });
    async move {
        match output.await.expect("the thread is gone") {
            Ok(value) => value,
            Err(payload) => std::panic::resume_unwind(payload),
        }
    }
}
