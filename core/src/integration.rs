//! What a server or framework integration needs, and an application does not.
//!
//! The HTTP layer in `background-tasks-tower` is written with these, and so is any other: give
//! each request a [`RequestScope`] (its queue, made on first use), enter it around every call into
//! the handler, then, once the response has ended, [`close_if_empty`] a queue nobody added to,
//! [`discard`] one whose tasks must not run, or spawn its run with
//! [`Runner::spawn`].
//!
//! # Examples
//!
//! ```
//! use background_tasks::BackgroundTasks;
//! use background_tasks::integration::{RequestScope, close_if_empty, same_queue};
//!
//! let mut scope = RequestScope::new();
//! let queued = scope.enter(|| {
//!     let tasks = BackgroundTasks::current().expect("inside the request's scope");
//!     assert!(same_queue(&tasks, &BackgroundTasks::current().unwrap()));
//!     tasks
//! });
//! // The response ended and nothing was added: close the queue, nothing to spawn.
//! let tasks = scope.take_tasks().expect("the handler asked for its queue");
//! assert!(close_if_empty(&tasks));
//! assert!(queued.try_add(background_tasks::Task::sync(|| ())).is_err(), "closed");
//! ```

use crate::executor::Executor;
use crate::queue::BackgroundTasks;
use crate::report::RunReport;
use crate::run::Runner;

pub use crate::scope::RequestScope;

/// A [`RequestScope`] reached by reference, for a framework whose extractors run where its
/// integration cannot enter the scope around them (Rocket's request guards run inside the handler
/// future Rocket polls): the integration puts the scope in the request's state when the request
/// arrives, an extractor takes the queue from there ([`tasks`](Self::tasks)), and the integration
/// takes the scope back once the response is ready ([`take`](Self::take)).
///
/// # Examples
///
/// ```
/// use background_tasks::integration::{RequestScope, SharedScope};
///
/// let shared = SharedScope::new(RequestScope::new());
/// // An extractor: the queue, made on first use; every extraction gets the same one.
/// let tasks = shared.tasks().expect("the integration put the scope there");
/// tasks.add_task(|| ());
/// // The response is ready: the integration takes the scope back, with its queue.
/// let mut scope = shared.take().expect("taken once");
/// assert_eq!(scope.take_tasks().map(|tasks| tasks.len()), Some(1));
/// assert!(shared.tasks().is_none(), "no queue once the request has ended");
/// ```
#[derive(Debug, Default)]
pub struct SharedScope {
    // `None` without an integration (`Default`), and once the integration took the scope back.
    scope: parking_lot::Mutex<Option<RequestScope>>,
}

impl SharedScope {
    /// Shares `scope` until [`take`](Self::take).
    pub fn new(scope: RequestScope) -> Self {
        Self {
            scope: parking_lot::Mutex::new(Some(scope)),
        }
    }

    /// The request's queue, created on first use (as [`BackgroundTasks::current`] inside the
    /// scope); `None` if no integration shared a scope (a `SharedScope::default()`), or once it
    /// took it back.
    pub fn tasks(&self) -> Option<BackgroundTasks> {
        self.scope.lock().as_mut()?.enter(BackgroundTasks::current)
    }

    /// Takes the scope back, with the queue if anything asked for it; `None` the second time.
    pub fn take(&self) -> Option<RequestScope> {
        self.scope.lock().take()
    }
}

/// Closes `tasks` as a finished run would if no task is waiting, and says whether it did.
///
/// This is how an integration ends a request that queued nothing without spawning a run:
/// afterwards, additions are refused as "added after its queue finished running". Checking and
/// closing happen under one lock, so a task added concurrently is either refused or makes this
/// return `false` (and then the queue needs a run).
pub fn close_if_empty(tasks: &BackgroundTasks) -> bool {
    tasks.close_if_empty()
}

/// Whether `a` and `b` are handles to the same queue.
pub fn same_queue(a: &BackgroundTasks, b: &BackgroundTasks) -> bool {
    a.same_queue(b)
}

/// Tells the runner's observer (feature `status`) which request `tasks` belongs to, and that the
/// request ended now: call it when the response has ended, before running or discarding the
/// queue. Nothing happens for a queue nothing observes.
#[cfg(feature = "status")]
#[cfg_attr(docsrs, doc(cfg(feature = "status")))]
pub fn describe(tasks: &BackgroundTasks, request: crate::status::QueueRequest) {
    tasks.state().describe(request);
}

/// Closes `tasks` without running it, as [`BackgroundTasks::discard`], counting its tasks as
/// discarded in `runner`'s metrics.
pub fn discard<E: Executor>(runner: &Runner<E>, tasks: BackgroundTasks) -> RunReport {
    runner.discard(tasks)
}

/// The message a caught panic was raised with (`panic!("…")`'s text), or a note that its payload
/// was not a string: what the reports of a job engine's bridge say of a panic, as the core's own
/// do.
///
/// # Examples
///
/// ```
/// use background_tasks::integration::panic_message;
///
/// let payload = std::panic::catch_unwind(|| panic!("disk full")).unwrap_err();
/// assert_eq!(panic_message(payload.as_ref()), "disk full");
/// ```
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    crate::panic::panic_message(payload)
}

/// Whether `runner` reports failures on stderr: it has no error hook of its own
/// ([`Runner::on_error`]) and no `tracing` subscriber is installed. Only then does the request a
/// queue belongs to need a name ([`name_request`]), for the line to say which request it was.
pub fn failures_go_to_stderr<E: Executor>(runner: &Runner<E>) -> bool {
    !runner.has_error_hook() && crate::settle::no_subscriber()
}

/// Names the request `tasks` belongs to (`POST /send-notification/ada`) in the default error
/// hook's stderr line. `request` is kept as it is, and written out only if a failure's line is:
/// it allocates once, so call it only when [`failures_go_to_stderr`] says the line is where
/// failures go.
pub fn name_request(
    tasks: &BackgroundTasks,
    request: impl std::fmt::Display + Send + Sync + 'static,
) {
    tasks.state().name_request(std::sync::Arc::new(request));
}
