//! [`RequestScope`]: which request's queue [`BackgroundTasks::current`] hands out, so that a server
//! integration can create a request's queue only when something asks for it.

use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;

use crate::executor::Executor;
use crate::metrics::Ledger;
use crate::queue::BackgroundTasks;
use crate::run::Runner;

thread_local! {
    // The scope being polled on this thread, moved in for the duration of `RequestScope::enter`.
    static CURRENT: RefCell<Option<Inner>> = const { RefCell::new(None) };
}

#[derive(Default)]
struct Inner {
    ledger: Option<Arc<Ledger>>,
    tasks: Option<BackgroundTasks>,
}

impl Inner {
    fn tasks(&mut self) -> &BackgroundTasks {
        self.tasks
            .get_or_insert_with(|| BackgroundTasks::counted_by(self.ledger.clone()))
    }
}

/// One request's claim on a queue that is created on first use.
///
/// Most requests queue nothing, and a queue allocated up front would cost every one of them. A
/// server integration (the tower layer) keeps a `RequestScope` per request and
/// [`enter`](Self::enter)s it around every call into the handler: inside,
/// [`BackgroundTasks::current`] returns the request's queue, creating it the first time; outside,
/// it returns `None`. Afterwards [`take_tasks`](Self::take_tasks) says whether there is anything
/// to run.
///
/// # Examples
///
/// ```
/// use background_tasks::BackgroundTasks;
/// use background_tasks::integration::{RequestScope, same_queue};
///
/// let mut scope = RequestScope::new();
/// scope.enter(|| {
///     let tasks = BackgroundTasks::current().expect("inside the scope");
///     tasks.add_task(|| println!("after the response"));
///     assert!(same_queue(&BackgroundTasks::current().unwrap(), &tasks)); // one per request
/// });
/// assert!(BackgroundTasks::current().is_none(), "outside every scope");
/// assert_eq!(scope.take_tasks().map(|tasks| tasks.len()), Some(1));
///
/// let mut idle = RequestScope::new();
/// idle.enter(|| {}); // nothing asked for the queue: nothing was allocated
/// assert!(idle.take_tasks().is_none());
/// ```
#[derive(Default)]
pub struct RequestScope {
    inner: Inner,
}

impl RequestScope {
    /// A scope whose queue, once created, counts in no runner's metrics until it is run.
    pub fn new() -> Self {
        Self::default()
    }

    /// A scope whose queue is made as [`Runner::queue`] makes it: counted in `runner`'s metrics
    /// from its first task, and refusing tasks once `runner` shuts down. Allocates nothing.
    pub fn for_runner<E: Executor>(runner: &Runner<E>) -> Self {
        Self {
            inner: Inner {
                ledger: runner.ledger(),
                tasks: None,
            },
        }
    }

    /// Runs `f` with this scope as the current one on this thread, restoring the previous one
    /// afterwards (scopes nest), even if `f` panics.
    pub fn enter<R>(&mut self, f: impl FnOnce() -> R) -> R {
        struct Restore<'a> {
            scope: &'a mut Inner,
            previous: Option<Inner>,
        }
        impl Drop for Restore<'_> {
            fn drop(&mut self) {
                let previous = self.previous.take();
                let inner = CURRENT.with(|current| current.replace(previous));
                *self.scope = inner.unwrap_or_default();
            }
        }
        let inner = std::mem::take(&mut self.inner);
        let previous = CURRENT.with(|current| current.replace(Some(inner)));
        let _restore = Restore {
            scope: &mut self.inner,
            previous,
        };
        f()
    }

    /// The request's queue, if anything asked for it.
    pub fn tasks(&self) -> Option<&BackgroundTasks> {
        self.inner.tasks.as_ref()
    }

    /// Takes the request's queue out of the scope, if anything asked for it; later
    /// [`current`](BackgroundTasks::current) calls inside the scope start a new one.
    pub fn take_tasks(&mut self) -> Option<BackgroundTasks> {
        self.inner.tasks.take()
    }
}

impl fmt::Debug for RequestScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestScope")
            .field("tasks", &self.inner.tasks)
            .finish_non_exhaustive()
    }
}

impl BackgroundTasks {
    /// The queue of the request whose handler is running on this thread: created on the first
    /// call, the same queue for every later call in the same request. `None` outside a request
    /// (no [`RequestScope`] entered: the layer is missing, or the caller is a task spawned off the
    /// handler, which should take a clone of the queue with it).
    ///
    /// This is how a tower service (or any code called from the handler, the way FastAPI
    /// dependencies are) reaches the queue; with axum, extract `BackgroundTasks` instead.
    pub fn current() -> Option<BackgroundTasks> {
        CURRENT.with(|current| {
            current
                .borrow_mut()
                .as_mut()
                .map(|inner| inner.tasks().clone())
        })
    }

    /// [`current`](Self::current), or an error that says how to fix its absence.
    ///
    /// # Errors
    ///
    /// [`MissingBackgroundTasks`] outside a request scope.
    ///
    /// # Examples
    ///
    /// ```
    /// use background_tasks::BackgroundTasks;
    ///
    /// let missing = BackgroundTasks::try_current().unwrap_err();
    /// assert!(missing.to_string().contains("BackgroundTasksLayer"));
    /// ```
    pub fn try_current() -> Result<BackgroundTasks, MissingBackgroundTasks> {
        Self::current().ok_or(MissingBackgroundTasks::new())
    }
}

/// No request queue is in scope: the request did not go through `BackgroundTasksLayer` (or, with
/// actix-web, `BackgroundTasksMiddleware`), or the caller runs outside the request's handler (in a
/// task spawned from it, say: take a clone of the queue along instead). With axum and actix-web,
/// this is the extractor's rejection, a `500` whose body is this message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingBackgroundTasks {
    _private: (),
}

impl MissingBackgroundTasks {
    pub(crate) fn new() -> Self {
        Self { _private: () }
    }
}

impl fmt::Display for MissingBackgroundTasks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "missing background tasks: this request has no `BackgroundTasks` queue; add \
             background_tasks_tower::BackgroundTasksLayer to the router or service, e.g. \
             `Router::new().route(\"/\", get(handler)).layer(BackgroundTasksLayer::new(TokioExecutor::new()))`, \
             or, with actix-web, background_tasks_actix::BackgroundTasksMiddleware to the app, e.g. \
             `App::new().wrap(BackgroundTasksMiddleware::new(executor))`, \
             and ask for the queue from the handler itself (take a clone into spawned tasks)",
        )
    }
}

impl std::error::Error for MissingBackgroundTasks {}

#[cfg(any(feature = "axum", feature = "actix"))]
impl MissingBackgroundTasks {
    /// The body of the extractor's `500`: the fix, in a debug build, for the developer trying the
    /// route; in a release build a generic message, as the client of a deployed app has no use for
    /// its middleware's names (the fix is in the error log either way).
    pub(crate) fn response_body(&self) -> String {
        self.body_for(if cfg!(debug_assertions) {
            Build::Debug
        } else {
            Build::Release
        })
    }

    fn body_for(&self, build: Build) -> String {
        match build {
            Build::Debug => self.to_string(),
            Build::Release => "internal server error".to_owned(),
        }
    }
}

/// Which kind of build answers a request.
#[cfg(any(feature = "axum", feature = "actix"))]
#[derive(Debug, Clone, Copy)]
enum Build {
    Debug,
    Release,
}

#[cfg(all(test, any(feature = "axum", feature = "actix")))]
mod tests {
    use super::*;

    #[test]
    fn c13_the_fix_is_in_a_debug_body_and_not_in_a_release_one() {
        let missing = MissingBackgroundTasks { _private: () };
        assert!(
            missing
                .body_for(Build::Debug)
                .contains("BackgroundTasksLayer")
        );
        assert_eq!(missing.body_for(Build::Release), "internal server error");
        assert_eq!(
            missing.response_body(),
            missing.body_for(Build::Debug),
            "tests build in debug"
        );
    }
}
