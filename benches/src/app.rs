//! [`App`]: the axum application of one [`Scenario`], as the allocation bench and the load server
//! run it.

use std::fmt;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use background_tasks::status::Observer;
use background_tasks::{BackgroundTasks, Executor, Runner};
use background_tasks_tower::BackgroundTasksLayer;

use crate::counters::{Counters, Counting, Stats, trivial_task};
use crate::runtime::Runtime;
use crate::scenario::Scenario;

/// The body every scenario answers `GET /` with.
const BODY: &str = "hello";

/// Set (to anything) in the environment, the runner records its queues in an [`Observer`] of
/// the default window, as an app serving the status page does.
pub const OBSERVER_VAR: &str = "LOAD_SERVER_OBSERVER";

/// Where [`BackgroundTasksLayer`] goes, for the scenarios that have it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Placement {
    /// `Router::layer`, as the README installs it: axum boxes the layered route service and its
    /// response body, as it does for any layer.
    #[default]
    InsideRouter,
    /// Around the whole `Router` (`layer.layer(router)`), which only a server taking any tower
    /// service can serve as it is: what the layer costs by itself. [`App::router`] is then left
    /// without the layer; wrap it with [`App::layer`].
    AroundRouter,
}

/// The axum application of one [`Scenario`]: `GET /` does the scenario's work, `GET /stats`
/// answers the [`Stats`] as one line of JSON (and is outside the layer).
///
/// # Examples
///
/// ```
/// use background_tasks_benches::{App, Placement, Scenario, Tokio};
/// use background_tasks_tokio::TokioExecutor;
///
/// let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// let _guard = runtime.enter();
/// let app = App::new::<Tokio>(Scenario::TenSync, TokioExecutor::new(), Placement::AroundRouter);
/// assert!(app.layer().is_some(), "the caller wraps the router with it");
/// ```
pub struct App<E> {
    router: Router,
    layer: Option<BackgroundTasksLayer<Counting<E>>>,
    runner: Option<Runner<Counting<E>>>,
    counters: Arc<Counters>,
}

impl<E: Executor + Clone> App<E> {
    /// Builds `scenario`'s application. The layer (when the scenario has one) runs queues on
    /// `executor`, counted by [`Counting`]; the hand-written scenarios call `R`'s primitives.
    pub fn new<R: Runtime>(scenario: Scenario, executor: E, placement: Placement) -> Self {
        let counters = Arc::new(Counters::default());
        let runner = scenario.has_layer().then(|| {
            let runner = Runner::new(Counting::new(executor, Arc::clone(&counters)));
            // The status page's observer, on when `status_cost.py` asks (its cost, same build).
            match std::env::var_os(OBSERVER_VAR) {
                Some(_) => runner.observe(Observer::default()),
                None => runner,
            }
        });
        let layer = runner.clone().map(BackgroundTasksLayer::with_runner);

        let handler = match scenario {
            Scenario::Bare | Scenario::NoopLayer | Scenario::LayerEmpty => get(hello),
            Scenario::OneAsync => get(async_tasks::<1>),
            Scenario::TenAsync => get(async_tasks::<10>),
            Scenario::OneSync => get(sync_tasks::<1>),
            Scenario::TenSync => get(sync_tasks::<10>),
            Scenario::RawSpawn => get(raw_spawn::<R>),
            Scenario::RawSpawnBlocking => get(raw_spawn_blocking::<R>),
            Scenario::RawSpawnBlockingTen => get(raw_spawn_blocking_ten::<R>),
        };
        let mut routes = Router::new().route("/", handler);
        if scenario == Scenario::NoopLayer {
            routes = routes.layer(tower_layer::Identity::new());
        }
        if let (Some(layer), Placement::InsideRouter) = (&layer, placement) {
            routes = routes.layer(layer.clone());
        }

        let stats = {
            let counters = Arc::clone(&counters);
            let runner = runner.clone();
            move || async move {
                counters
                    .snapshot(runner.as_ref().map(Runner::metrics))
                    .to_json()
            }
        };
        let router = routes
            .route("/stats", get(stats))
            .with_state(Arc::clone(&counters));

        Self {
            router,
            layer: layer.filter(|_| placement == Placement::AroundRouter),
            runner,
            counters,
        }
    }

    /// The router to serve (a cheap clone): with the layer inside under
    /// [`Placement::InsideRouter`], without it under [`Placement::AroundRouter`].
    pub fn router(&self) -> Router {
        self.router.clone()
    }

    /// The layer to wrap [`router`](Self::router) with, under [`Placement::AroundRouter`] only.
    pub fn layer(&self) -> Option<&BackgroundTasksLayer<Counting<E>>> {
        self.layer.as_ref()
    }

    /// The layer's runner, for the scenarios that have the layer.
    pub fn runner(&self) -> Option<&Runner<Counting<E>>> {
        self.runner.as_ref()
    }

    /// The counters now.
    pub fn stats(&self) -> Stats {
        self.counters
            .snapshot(self.runner.as_ref().map(Runner::metrics))
    }
}

impl<E: Executor + Clone + fmt::Debug> fmt::Debug for App<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("App")
            .field("runner", &self.runner)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

async fn hello(State(counters): State<Arc<Counters>>) -> &'static str {
    Counters::bump(&counters.requests);
    BODY
}

async fn async_tasks<const N: usize>(
    State(counters): State<Arc<Counters>>,
    tasks: BackgroundTasks,
) -> &'static str {
    Counters::bump(&counters.requests);
    counters.queue_async(&tasks, N as u64);
    BODY
}

async fn sync_tasks<const N: usize>(
    State(counters): State<Arc<Counters>>,
    tasks: BackgroundTasks,
) -> &'static str {
    Counters::bump(&counters.requests);
    counters.queue_sync(&tasks, N as u64);
    BODY
}

async fn raw_spawn<R: Runtime>(State(counters): State<Arc<Counters>>) -> &'static str {
    Counters::bump(&counters.requests);
    Counters::bump(&counters.queued);
    Counters::bump(&counters.spawns);
    let task = Arc::clone(&counters);
    R::spawn(async move { trivial_task(&task) });
    BODY
}

async fn raw_spawn_blocking<R: Runtime>(State(counters): State<Arc<Counters>>) -> &'static str {
    Counters::bump(&counters.requests);
    Counters::bump(&counters.queued);
    Counters::bump(&counters.blocking_trips);
    let task = Arc::clone(&counters);
    R::spawn_blocking(move || trivial_task(&task));
    BODY
}

async fn raw_spawn_blocking_ten<R: Runtime>(State(counters): State<Arc<Counters>>) -> &'static str {
    Counters::bump(&counters.requests);
    R::spawn_blocking(counters.ten_in_one_trip());
    BODY
}
