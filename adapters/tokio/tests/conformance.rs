//! The conformance suite on tokio, once per runtime flavour.

use background_tasks_conformance::{Harness, conformance_suite};
use background_tasks_tokio::TokioExecutor;
use tokio::runtime::{Builder, Runtime};

/// A current-thread runtime: spawned tasks run on the thread that blocks on it.
struct CurrentThread(Runtime);

impl Harness for CurrentThread {
    type Executor = TokioExecutor;

    fn new() -> Self {
        Self(Builder::new_current_thread().enable_all().build().unwrap())
    }

    fn executor(&self) -> TokioExecutor {
        TokioExecutor::from_handle(self.0.handle().clone())
    }

    fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.0.block_on(future)
    }
}

/// A multi-thread runtime with one worker: the work-stealing scheduler, with the single async
/// worker the suite needs to see a stalled worker.
struct MultiThread(Runtime);

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

conformance_suite!(tokio_current_thread, super::CurrentThread);
conformance_suite!(tokio_multi_thread, super::MultiThread);
