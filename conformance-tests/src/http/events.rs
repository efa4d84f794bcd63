//! [`Events`] and [`Reports`]: what happened on the server side, in order, for the checks to read.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use background_tasks_tower::RequestReport;

/// The failure bound of every wait in the HTTP checks: never a way to synchronise, only a way to
/// fail instead of hanging when the behaviour under test is broken.
pub const WAIT_LIMIT: Duration = Duration::from_secs(10);

/// An ordered log of what happened, shared by handlers, bodies, tasks and the check.
///
/// Ordering claims ("the body ended before the task started") are read off this log, and a check
/// waits for an entry instead of sleeping.
///
/// # Examples
///
/// ```
/// use background_tasks_conformance::http::Events;
///
/// let events = Events::default();
/// let log = events.clone();
/// std::thread::spawn(move || {
///     log.push("body end");
///     log.push("task started");
/// });
/// events.wait_for("task started");
/// events.assert_order(["body end", "task started"]);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Events {
    inner: Arc<(Mutex<Vec<String>>, Condvar)>,
}

impl Events {
    /// Appends `event` and wakes every waiter.
    pub fn push(&self, event: impl Into<String>) {
        let (log, changed) = &*self.inner;
        lock(log).push(event.into());
        changed.notify_all();
    }

    /// The log so far.
    pub fn snapshot(&self) -> Vec<String> {
        lock(&self.inner.0).clone()
    }

    /// Whether `event` has been logged.
    pub fn contains(&self, event: &str) -> bool {
        lock(&self.inner.0).iter().any(|e| e == event)
    }

    /// Waits until `event` is logged, and returns the log.
    ///
    /// # Panics
    ///
    /// After [`WAIT_LIMIT`], showing the log.
    pub fn wait_for(&self, event: &str) -> Vec<String> {
        let (log, changed) = &*self.inner;
        let (log, timeout) = changed
            .wait_timeout_while(lock(log), WAIT_LIMIT, |log| !log.iter().any(|e| e == event))
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        assert!(
            !timeout.timed_out(),
            "`{event}` was not logged within {WAIT_LIMIT:?}; log: {:?}",
            *log
        );
        log.clone()
    }

    /// Asserts that each of `events` was logged, each first occurrence after the previous one's.
    ///
    /// # Panics
    ///
    /// When one is missing or out of order, showing the log.
    pub fn assert_order<'a>(&self, events: impl IntoIterator<Item = &'a str>) {
        let log = self.snapshot();
        let mut previous: Option<(&str, usize)> = None;
        for event in events {
            let Some(at) = log.iter().position(|e| e == event) else {
                panic!("`{event}` was never logged; log: {log:?}");
            };
            if let Some((before, was_at)) = previous {
                assert!(
                    was_at < at,
                    "`{before}` must come before `{event}`; log: {log:?}"
                );
            }
            previous = Some((event, at));
        }
    }

    /// Empties the log.
    pub fn clear(&self) {
        lock(&self.inner.0).clear();
    }
}

/// Collects the [`RequestReport`]s of `BackgroundTasksLayer::on_report`, for a check to take them
/// by request path whatever order they arrive in.
///
/// # Examples
///
/// ```
/// use background_tasks_conformance::http::Reports;
/// use background_tasks_tower::BackgroundTasksLayer;
/// # use background_tasks::{BlockingError, BlockingJob, BoxFuture, Executor};
/// # #[derive(Debug, Clone)] struct MyExecutor;
/// # impl Executor for MyExecutor {
/// #     fn spawn(&self, _: BoxFuture<()>) {}
/// #     fn spawn_blocking(&self, _: BlockingJob) -> BoxFuture<Result<(), BlockingError>> {
/// #         Box::pin(async { Ok(()) })
/// #     }
/// # }
///
/// let reports = Reports::default();
/// let layer = BackgroundTasksLayer::new(MyExecutor).on_report(reports.hook());
/// // ... serve, send `GET /signup` ...
/// // let report = reports.take("/signup");
/// # let _ = layer;
/// ```
#[derive(Debug, Clone, Default)]
pub struct Reports {
    inner: Arc<(Mutex<Vec<RequestReport>>, Condvar)>,
}

impl Reports {
    /// A hook for `BackgroundTasksLayer::on_report` that collects into these reports.
    pub fn hook(&self) -> impl Fn(RequestReport) + Send + Sync + 'static {
        let inner = Arc::clone(&self.inner);
        move |report| {
            let (reports, arrived) = &*inner;
            lock(reports).push(report);
            arrived.notify_all();
        }
    }

    /// Waits for the first report about a request to `path` (without its query), and takes it.
    ///
    /// # Panics
    ///
    /// After [`WAIT_LIMIT`] without one.
    pub fn take(&self, path: &str) -> RequestReport {
        let (reports, arrived) = &*self.inner;
        let (mut reports, timeout) = arrived
            .wait_timeout_while(lock(reports), WAIT_LIMIT, |reports| {
                !reports.iter().any(|r| r.path() == path)
            })
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        assert!(
            !timeout.timed_out(),
            "the layer reported nothing about `{path}` within {WAIT_LIMIT:?}; reports: {:?}",
            *reports
        );
        let at = reports
            .iter()
            .position(|r| r.path() == path)
            .expect("waited for it");
        reports.remove(at)
    }
}

/// Locks `mutex`, ignoring poisoning: a check that panicked while holding it fails on its own.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
