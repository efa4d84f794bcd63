//! The same conformance suite the tokio, smol and async-std adapters pass, on a custom executor:
//! what a user of the library writes for their own scheduler.

use background_tasks_conformance::{Harness, conformance_suite};
use background_tasks_example_custom_executor::{ThreadPoolExecutor, block_on};

struct CustomPool(ThreadPoolExecutor);

impl Harness for CustomPool {
    type Executor = ThreadPoolExecutor;

    fn new() -> Self {
        Self(ThreadPoolExecutor::with_threads(1, 4))
    }

    fn executor(&self) -> ThreadPoolExecutor {
        self.0.clone()
    }

    fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        block_on(future)
    }
}

conformance_suite!(custom_thread_pool, super::CustomPool);
