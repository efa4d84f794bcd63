//! [`ActixApp`]: a [`Scenario`] on actix-web, as the load server serves it beside axum.
//!
//! actix-web is not tower-based, so the scenarios are written again with its types:
//! `BackgroundTasksMiddleware` for the layer's, the `BackgroundTasks` extractor, and the
//! hand-written spawns on the same tokio runtime the middleware's executor runs on (the
//! application's own, which outlives actix's workers; spawning on a worker's runtime would be
//! neither what the README asks nor a fair comparison).

use std::fmt;
use std::sync::Arc;

use actix_web::HttpResponse;
use actix_web::web::{self, ServiceConfig};
use background_tasks::{BackgroundTasks, Runner};
use background_tasks_actix::BackgroundTasksMiddleware;
use background_tasks_tokio::TokioExecutor;
use tokio::runtime::Handle;

use crate::counters::{Counters, Counting, Stats, trivial_task};
use crate::scenario::Scenario;

/// The body every scenario answers `GET /` with.
const BODY: &str = "hello";

/// One [`Scenario`] on actix-web: `GET /` does its work, `GET /stats` answers the [`Stats`].
///
/// # Examples
///
/// ```
/// use background_tasks_benches::{ActixApp, Scenario};
///
/// let tasks = tokio::runtime::Runtime::new().unwrap();
/// let app = ActixApp::new(Scenario::OneSync, tasks.handle().clone()).unwrap();
/// assert!(app.middleware().is_some());
/// assert!(ActixApp::new(Scenario::NoopLayer, tasks.handle().clone()).is_none());
/// ```
pub struct ActixApp {
    scenario: Scenario,
    counters: Arc<Counters>,
    runner: Option<Runner<Counting<TokioExecutor>>>,
    tasks: Handle,
}

impl ActixApp {
    /// `scenario` with its tasks (the middleware's and the hand-written ones) on `tasks`; `None`
    /// for [`Scenario::NoopLayer`], which is about tower's layers.
    pub fn new(scenario: Scenario, tasks: Handle) -> Option<Self> {
        if scenario == Scenario::NoopLayer {
            return None;
        }
        let counters = Arc::new(Counters::default());
        let runner = scenario.has_layer().then(|| {
            Runner::new(Counting::new(
                TokioExecutor::from_handle(tasks.clone()),
                Arc::clone(&counters),
            ))
        });
        Some(Self {
            scenario,
            counters,
            runner,
            tasks,
        })
    }

    /// The middleware to wrap the app with, for the scenarios that have it.
    pub fn middleware(&self) -> Option<BackgroundTasksMiddleware<Counting<TokioExecutor>>> {
        self.runner
            .clone()
            .map(BackgroundTasksMiddleware::with_runner)
    }

    /// The routes, for `App::configure`.
    pub fn routes(&self) -> impl Fn(&mut ServiceConfig) + Clone + Send + 'static + use<> {
        let state = web::Data::new(State {
            counters: Arc::clone(&self.counters),
            runner: self.runner.clone(),
            tasks: self.tasks.clone(),
        });
        let scenario = self.scenario;
        move |config| {
            let route = match scenario {
                Scenario::Bare | Scenario::NoopLayer | Scenario::LayerEmpty => web::get().to(hello),
                Scenario::OneAsync => web::get().to(async_tasks::<1>),
                Scenario::TenAsync => web::get().to(async_tasks::<10>),
                Scenario::OneSync => web::get().to(sync_tasks::<1>),
                Scenario::TenSync => web::get().to(sync_tasks::<10>),
                Scenario::RawSpawn => web::get().to(raw_spawn),
                Scenario::RawSpawnBlocking => web::get().to(raw_spawn_blocking),
                Scenario::RawSpawnBlockingTen => web::get().to(raw_spawn_blocking_ten),
            };
            config
                .app_data(state.clone())
                .route("/", route)
                .route("/stats", web::get().to(stats));
        }
    }

    /// The counters now.
    pub fn stats(&self) -> Stats {
        self.counters
            .snapshot(self.runner.as_ref().map(Runner::metrics))
    }
}

impl fmt::Debug for ActixApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActixApp")
            .field("scenario", &self.scenario)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

struct State {
    counters: Arc<Counters>,
    runner: Option<Runner<Counting<TokioExecutor>>>,
    tasks: Handle,
}

async fn hello(state: web::Data<State>) -> &'static str {
    Counters::bump(&state.counters.requests);
    BODY
}

async fn stats(state: web::Data<State>) -> HttpResponse {
    let stats = state
        .counters
        .snapshot(state.runner.as_ref().map(Runner::metrics));
    HttpResponse::Ok()
        .content_type("application/json")
        .body(stats.to_json())
}

async fn async_tasks<const N: usize>(
    state: web::Data<State>,
    tasks: BackgroundTasks,
) -> &'static str {
    Counters::bump(&state.counters.requests);
    state.counters.queue_async(&tasks, N as u64);
    BODY
}

async fn sync_tasks<const N: usize>(
    state: web::Data<State>,
    tasks: BackgroundTasks,
) -> &'static str {
    Counters::bump(&state.counters.requests);
    state.counters.queue_sync(&tasks, N as u64);
    BODY
}

async fn raw_spawn(state: web::Data<State>) -> &'static str {
    let counters = &state.counters;
    Counters::bump(&counters.requests);
    Counters::bump(&counters.queued);
    Counters::bump(&counters.spawns);
    let task = Arc::clone(counters);
    drop(state.tasks.spawn(async move { trivial_task(&task) }));
    BODY
}

async fn raw_spawn_blocking(state: web::Data<State>) -> &'static str {
    let counters = &state.counters;
    Counters::bump(&counters.requests);
    Counters::bump(&counters.queued);
    Counters::bump(&counters.blocking_trips);
    let task = Arc::clone(counters);
    drop(state.tasks.spawn_blocking(move || trivial_task(&task)));
    BODY
}

async fn raw_spawn_blocking_ten(state: web::Data<State>) -> &'static str {
    Counters::bump(&state.counters.requests);
    drop(state.tasks.spawn_blocking(state.counters.ten_in_one_trip()));
    BODY
}
