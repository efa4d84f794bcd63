//! The conformance suite on async-std's global runtime.

use background_tasks_async_std::AsyncStdExecutor;
use background_tasks_conformance::{Harness, conformance_suite};

/// async-std's global runtime, started with one async worker thread.
struct AsyncStd;

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
        Self
    }

    fn executor(&self) -> AsyncStdExecutor {
        AsyncStdExecutor::new()
    }

    fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        async_std::task::block_on(future)
    }
}

conformance_suite!(async_std_global, super::AsyncStd);
