//! [`Integration`]: what every framework's builder holds (its runner and [`Settings`]), and
//! [`integration_builder!`](crate::integration_builder): the builder methods every framework's
//! type offers, written once.

use std::fmt;
use std::sync::{Arc, OnceLock};

use background_tasks::{Executor, Runner};

use crate::request::{Dispatch, Dispatcher};
use crate::settings::Settings;

/// What a framework's builder (tower's `BackgroundTasksLayer`, actix-web's and poem's
/// `BackgroundTasksMiddleware`, Rocket's `BackgroundTasksFairing`) holds: the runner queues run
/// with, and the settings requests end under. Its builder methods come from
/// [`integration_builder!`](crate::integration_builder), so that every framework offers the same
/// ones, with the same defaults and docs.
///
/// # Examples
///
/// ```
/// use background_tasks::Runner;
/// use background_tasks_http::{Integration, OnDisconnect};
/// # use background_tasks::{BlockingError, BlockingJob, BoxFuture, Executor};
/// # #[derive(Debug, Clone)] struct MyExecutor;
/// # impl Executor for MyExecutor {
/// #     fn spawn(&self, _: BoxFuture<()>) {}
/// #     fn spawn_blocking(&self, _: BlockingJob) -> BoxFuture<Result<(), BlockingError>> {
/// #         Box::pin(async { Ok(()) })
/// #     }
/// # }
///
/// let integration = Integration::new(Runner::new(MyExecutor))
///     .map_settings(|settings| settings.with_on_disconnect(OnDisconnect::Skip));
/// // What every request's `RequestTasks` is made with.
/// let dispatch = integration.dispatch();
/// assert_eq!(dispatch.settings().on_disconnect(), OnDisconnect::Skip);
/// ```
#[derive(Clone)]
pub struct Integration<E> {
    runner: Runner<E>,
    settings: Settings,
    // Built from the two above on first use, then shared by every service the builder makes and
    // every request (Rocket's fairing asks for it per request). Reset when the settings change.
    dispatch: OnceLock<Arc<dyn Dispatch>>,
}

impl<E> Integration<E> {
    /// Queues will run with `runner`, under the default [`Settings`].
    pub fn new(runner: Runner<E>) -> Self {
        Self {
            runner,
            settings: Settings::default(),
            dispatch: OnceLock::new(),
        }
    }

    /// The runner queues run with.
    pub fn runner(&self) -> &Runner<E> {
        &self.runner
    }

    /// The settings requests end under.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Changes the settings with `change` (`Settings::with_…`).
    pub fn map_settings(self, change: impl FnOnce(Settings) -> Settings) -> Self {
        Self {
            runner: self.runner,
            settings: change(self.settings),
            // One built before would decide under the old settings.
            dispatch: OnceLock::new(),
        }
    }

    /// Formats the integration as the framework's type called `name`, for its `Debug`.
    pub fn fmt_as(&self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result
    where
        E: fmt::Debug,
    {
        f.debug_struct(name)
            .field("runner", &self.runner)
            .field("on_disconnect", &self.settings.on_disconnect())
            .field("statuses", &self.settings.statuses())
            .field("custom_report_hook", &self.settings.has_report_hook())
            .finish()
    }
}

impl<E: Executor + Clone> Integration<E> {
    /// What the framework's services share, for every request's
    /// [`RequestTasks`](crate::RequestTasks): built once, then shared.
    pub fn dispatch(&self) -> Arc<dyn Dispatch> {
        Arc::clone(
            self.dispatch.get_or_init(|| {
                Arc::new(Dispatcher::new(self.runner.clone(), self.settings.clone()))
            }),
        )
    }
}

impl<E: fmt::Debug> fmt::Debug for Integration<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fmt_as("Integration", f)
    }
}

/// The builder methods of a framework's integration type, the same for every framework:
/// `new`, `with_runner`, `on_disconnect`, `statuses`, `on_report` and `runner`, with `Clone`,
/// `Debug` and `From<Runner<E>>`.
///
/// `$name` is a struct generic over the executor `E` whose only field is
/// `integration: Integration<E>`; `$kind` names it in the docs ("layer", "middleware",
/// "fairing"). The crate invoking it must re-export [`OnDisconnect`](crate::OnDisconnect),
/// [`Statuses`](crate::Statuses) and [`RequestReport`](crate::RequestReport) at its root, where
/// the docs link to them.
///
/// A macro rather than a trait with provided methods: the methods are inherent, so callers need
/// not import a trait to call `.on_report(…)` (as with tower-http's accessor macros).
///
/// # Examples
///
/// ```
/// pub use background_tasks_http::{OnDisconnect, RequestReport, Statuses};
/// use background_tasks_http::Integration;
///
/// /// A framework's integration.
/// pub struct BackgroundTasksPlugin<E> {
///     integration: Integration<E>,
/// }
///
/// background_tasks_http::integration_builder!(BackgroundTasksPlugin, "plugin");
/// # use background_tasks::{BlockingError, BlockingJob, BoxFuture, Executor};
/// # #[derive(Debug, Clone)] struct MyExecutor;
/// # impl Executor for MyExecutor {
/// #     fn spawn(&self, _: BoxFuture<()>) {}
/// #     fn spawn_blocking(&self, _: BlockingJob) -> BoxFuture<Result<(), BlockingError>> {
/// #         Box::pin(async { Ok(()) })
/// #     }
/// # }
///
/// let plugin = BackgroundTasksPlugin::new(MyExecutor).on_disconnect(OnDisconnect::Skip);
/// assert!(format!("{plugin:?}").contains("on_disconnect: Skip"));
/// ```
#[macro_export]
macro_rules! integration_builder {
    ($name:ident, $kind:literal) => {
        impl<E: $crate::__private::Executor> $name<E> {
            #[doc = concat!("A ", $kind, " that runs queues on `executor` with the default failure")]
            /// policy (stop at the first failed task) and error hook (a `tracing` error event per
            /// failed task).
            pub fn new(executor: E) -> Self {
                Self::with_runner($crate::__private::Runner::new(executor))
            }

            #[doc = concat!("A ", $kind, " that runs queues with `runner`, its policy and its error hook.")]
            pub fn with_runner(runner: $crate::__private::Runner<E>) -> Self {
                Self {
                    integration: $crate::Integration::new(runner),
                }
            }
        }

        impl<E> $name<E> {
            /// Sets what happens to the tasks when the client goes away before the response ends
            /// (default: [`OnDisconnect::Run`](crate::OnDisconnect::Run)).
            pub fn on_disconnect(self, on_disconnect: $crate::OnDisconnect) -> Self {
                self.map_settings(|settings| settings.with_on_disconnect(on_disconnect))
            }

            /// Sets which response statuses run tasks (default:
            /// [`Statuses::All`](crate::Statuses::All)).
            pub fn statuses(self, statuses: $crate::Statuses) -> Self {
                self.map_settings(|settings| settings.with_statuses(statuses))
            }

            /// Sets a hook that receives a [`RequestReport`](crate::RequestReport) for every
            /// request that queued at least one task, replacing the default `tracing` events.
            ///
            /// It is called after the run when the tasks ran (on the executor, in the run's own
            #[doc = concat!("task), and as soon as the ", $kind, " decides not to run them otherwise (where")]
            /// the request was served). Keep it short; a panic inside it is caught and logged.
            pub fn on_report<F>(self, hook: F) -> Self
            where
                F: Fn($crate::RequestReport) + Send + Sync + 'static,
            {
                self.map_settings(|settings| settings.with_on_report(hook))
            }

            /// The runner queues run with: keep a clone to
            /// [`shutdown`](background_tasks::Runner::shutdown) it once the server has stopped.
            pub fn runner(&self) -> &$crate::__private::Runner<E> {
                self.integration.runner()
            }

            fn map_settings(
                self,
                change: impl FnOnce($crate::Settings) -> $crate::Settings,
            ) -> Self {
                Self {
                    integration: self.integration.map_settings(change),
                }
            }
        }

        impl<E> From<$crate::__private::Runner<E>> for $name<E> {
            fn from(runner: $crate::__private::Runner<E>) -> Self {
                Self {
                    integration: $crate::Integration::new(runner),
                }
            }
        }

        impl<E: Clone> Clone for $name<E> {
            fn clone(&self) -> Self {
                Self {
                    integration: self.integration.clone(),
                }
            }
        }

        impl<E: ::std::fmt::Debug> ::std::fmt::Debug for $name<E> {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                self.integration.fmt_as(stringify!($name), f)
            }
        }
    };
}
