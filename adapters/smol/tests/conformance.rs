//! The conformance suite on smol: an explicit executor, and smol's global one.

use std::sync::Arc;

use background_tasks_conformance::{Harness, conformance_suite};
use background_tasks_smol::SmolExecutor;

/// An explicit `smol::Executor`, driven by the thread that blocks on it.
struct Explicit(Arc<smol::Executor<'static>>);

impl Harness for Explicit {
    type Executor = SmolExecutor;

    fn new() -> Self {
        Self(Arc::new(smol::Executor::new()))
    }

    fn executor(&self) -> SmolExecutor {
        SmolExecutor::from(self.0.clone())
    }

    fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        smol::block_on(self.0.run(future))
    }
}

/// smol's global executor, which runs on its own thread (`SMOL_THREADS`, one by default).
struct Global;

impl Harness for Global {
    type Executor = SmolExecutor;

    fn new() -> Self {
        Self
    }

    fn executor(&self) -> SmolExecutor {
        SmolExecutor::new()
    }

    fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        smol::block_on(future)
    }
}

conformance_suite!(smol_explicit_executor, super::Explicit);
conformance_suite!(smol_global_executor, super::Global);
