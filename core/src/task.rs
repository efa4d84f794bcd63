//! [`Task`]: one unit of background work, sync or async, with a label for reports.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::panic::Location;

use crate::executor::BoxFuture;
use crate::label::default_label;

/// The error type a failing task may return: anything convertible to a boxed error.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What a task may return: `()` or `Result<(), E>` for any `E` convertible into a [`BoxError`].
///
/// This is the Rust form of "a background function may raise": an `Err` is reported with the
/// task's label and, under the default policy, ends its queue.
///
/// An async block that can only panic has the output type `!`, which is not a `TaskResult`
/// (``the trait bound `!: TaskResult` is not satisfied``); say which output it has instead:
///
/// ```
/// # let tasks = background_tasks::BackgroundTasks::new();
/// tasks.add_async_task(async { panic!("not implemented yet") as () });
/// ```
pub trait TaskResult: Send + 'static {
    /// Converts the task's return value into success or its error.
    ///
    /// # Errors
    ///
    /// The task's own error, boxed.
    fn into_result(self) -> Result<(), BoxError>;
}

impl TaskResult for () {
    fn into_result(self) -> Result<(), BoxError> {
        Ok(())
    }
}

impl<E> TaskResult for Result<(), E>
where
    E: Into<BoxError> + Send + 'static,
{
    fn into_result(self) -> Result<(), BoxError> {
        self.map_err(Into::into)
    }
}

/// One unit of background work: a sync closure or a future, with a label.
///
/// [`BackgroundTasks::add_task`](crate::BackgroundTasks::add_task) and
/// [`add_async_task`](crate::BackgroundTasks::add_async_task) build one for you, labelled with
/// the closure's or future's type name. Build one yourself to choose the label that reports and
/// logs will show.
///
/// # Examples
///
/// ```
/// use background_tasks::{BackgroundTasks, Task};
///
/// let tasks = BackgroundTasks::new();
/// tasks.add(Task::sync(|| println!("sent")).with_label("send welcome email"));
/// assert_eq!(tasks.len(), 1);
/// ```
pub struct Task {
    pub(crate) label: Cow<'static, str>,
    pub(crate) work: Work,
}

/// A sync task's work, as the blocking pool runs it.
pub(crate) type SyncWork = Box<dyn FnOnce() -> Result<(), BoxError> + Send + 'static>;

pub(crate) enum Work {
    Sync(SyncWork),
    Async(BoxFuture<Result<(), BoxError>>),
}

impl Task {
    /// A sync task: `work` runs on the executor's blocking pool, never on an async worker.
    ///
    /// Its default label is, for a function, its path (`app::write_log`); for a closure, the
    /// function it was written in and where the task was made (`app::send at src/app.rs:12`).
    #[track_caller]
    pub fn sync<F, R>(work: F) -> Self
    where
        F: FnOnce() -> R + Send + 'static,
        R: TaskResult,
    {
        Self {
            label: default_label(std::any::type_name::<F>(), Location::caller()),
            work: Work::Sync(Box::new(move || work().into_result())),
        }
    }

    /// An async task: `future` is polled by the executor, on its async workers.
    ///
    /// Its default label is the function that made the future (the `async fn` called, or the one
    /// an `async` block was written in) and where the task was made:
    /// `app::async_cleanup at src/app.rs:14`.
    #[track_caller]
    pub fn future<Fut, R>(future: Fut) -> Self
    where
        Fut: Future<Output = R> + Send + 'static,
        R: TaskResult,
    {
        Self {
            label: default_label(std::any::type_name::<Fut>(), Location::caller()),
            work: Work::Async(Box::pin(async move { future.await.into_result() })),
        }
    }

    /// Replaces the label that reports and the error hook show for this task.
    #[must_use = "with_label returns the relabelled task"]
    pub fn with_label(mut self, label: impl Into<Cow<'static, str>>) -> Self {
        self.label = label.into();
        self
    }

    /// The task's label.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Whether the task is sync (runs on the blocking pool) or async.
    pub fn kind(&self) -> TaskKind {
        match self.work {
            Work::Sync(_) => TaskKind::Sync,
            Work::Async(_) => TaskKind::Async,
        }
    }

    /// Whether this is a sync task (for the blocking pool) rather than a future.
    pub fn is_sync(&self) -> bool {
        matches!(self.work, Work::Sync(_))
    }
}

impl fmt::Debug for Task {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Task")
            .field("label", &self.label)
            .field("kind", &if self.is_sync() { "sync" } else { "async" })
            .finish()
    }
}

/// Whether a task is a closure for the blocking pool or a future.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TaskKind {
    /// A closure, run on the executor's blocking pool.
    Sync,
    /// A future, polled by the executor.
    Async,
}

impl TaskKind {
    /// `"sync"` or `"async"`: the value of the `kind` field of task spans and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sync => "sync",
            Self::Async => "async",
        }
    }
}
