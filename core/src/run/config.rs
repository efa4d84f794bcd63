//! [`Config`]: how a runner's queues run, as its builder methods set it; what the run's modules
//! read (and all they need of the runner).

use std::sync::Arc;
use std::time::Duration;

use async_lock::Semaphore;

use crate::metrics::Ledger;
use crate::policy::FailurePolicy;
use crate::settle::ErrorHook;

use super::lifecycle::Lifecycle;

/// How a runner's queues run: set by `Runner`'s builder methods, read by the run's modules.
#[derive(Clone)]
pub(crate) struct Config {
    pub(super) policy: FailurePolicy,
    pub(super) on_error: Option<ErrorHook>,
    pub(super) task_timeout: Option<Duration>,
    // `None` only for `BackgroundTasks::run`, which has no runner to count for.
    pub(super) lifecycle: Option<Arc<Lifecycle>>,
    // Queues allowed to run at once, under `max_running`.
    pub(super) limit: Option<Arc<Semaphore>>,
}

/// `BackgroundTasks::run`'s: the default policy and hook, no runner's books.
pub(super) static DEFAULT_CONFIG: Config = Config {
    policy: FailurePolicy::StopOnError,
    on_error: None,
    task_timeout: None,
    lifecycle: None,
    limit: None,
};

impl Config {
    pub(super) fn hook(&self) -> Option<&ErrorHook> {
        self.on_error.as_ref()
    }

    pub(super) fn ledger(&self) -> Option<&Arc<Ledger>> {
        self.lifecycle.as_ref().map(|lifecycle| lifecycle.ledger())
    }

    /// The runner's lifecycle: every config but `DEFAULT_CONFIG` has one.
    pub(super) fn lifecycle(&self) -> &Arc<Lifecycle> {
        self.lifecycle
            .as_ref()
            .expect("every Runner's config has a lifecycle")
    }
}
