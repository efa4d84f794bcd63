//! [`PoemApp`]: a [`Scenario`] on poem, as the load server serves it beside axum and actix-web.
//!
//! poem is not tower-based, so the scenarios are written again with its types:
//! `BackgroundTasksMiddleware` for the layer's, the `BackgroundTasks` extractor, and the
//! hand-written spawns on the tokio runtime poem itself runs on.

use std::fmt;
use std::sync::Arc;

use background_tasks::{BackgroundTasks, Runner};
use background_tasks_poem::BackgroundTasksMiddleware;
use background_tasks_tokio::TokioExecutor;
use poem::web::Data;
use poem::{Endpoint, EndpointExt, IntoResponse, Response, Route, get, handler};

use crate::counters::{Counters, Counting, Stats, trivial_task};
use crate::scenario::Scenario;

/// The body every scenario answers `GET /` with.
const BODY: &str = "hello";

/// One [`Scenario`] on poem: `GET /` does its work, `GET /stats` answers the [`Stats`].
///
/// # Examples
///
/// ```
/// use background_tasks_benches::{PoemApp, Scenario};
///
/// let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// let _guard = runtime.enter();
/// let app = PoemApp::new(Scenario::OneSync).unwrap();
/// assert_eq!(app.stats().requests, 0);
/// assert!(PoemApp::new(Scenario::NoopLayer).is_none());
/// ```
pub struct PoemApp {
    scenario: Scenario,
    counters: Arc<Counters>,
    runner: Option<Runner<Counting<TokioExecutor>>>,
}

impl PoemApp {
    /// `scenario`, its tasks on the current tokio runtime (poem's); `None` for
    /// [`Scenario::NoopLayer`], which is about tower's layers.
    pub fn new(scenario: Scenario) -> Option<Self> {
        if scenario == Scenario::NoopLayer {
            return None;
        }
        let counters = Arc::new(Counters::default());
        let runner = scenario
            .has_layer()
            .then(|| Runner::new(Counting::new(TokioExecutor::new(), Arc::clone(&counters))));
        Some(Self {
            scenario,
            counters,
            runner,
        })
    }

    /// The app to serve: `GET /` behind the middleware (for the scenarios that have it), and
    /// `GET /stats` beside it.
    pub fn endpoint(&self) -> impl Endpoint<Output = Response> + 'static + use<> {
        let route = match self.scenario {
            Scenario::Bare | Scenario::NoopLayer | Scenario::LayerEmpty => get(hello).boxed(),
            Scenario::OneAsync => get(one_async).boxed(),
            Scenario::TenAsync => get(ten_async).boxed(),
            Scenario::OneSync => get(one_sync).boxed(),
            Scenario::TenSync => get(ten_sync).boxed(),
            Scenario::RawSpawn => get(raw_spawn).boxed(),
            Scenario::RawSpawnBlocking => get(raw_spawn_blocking).boxed(),
            Scenario::RawSpawnBlockingTen => get(raw_spawn_blocking_ten).boxed(),
        };
        let route = match &self.runner {
            Some(runner) => route
                .with(BackgroundTasksMiddleware::with_runner(runner.clone()))
                .boxed(),
            None => route,
        };
        let state = Arc::new(State {
            counters: Arc::clone(&self.counters),
            runner: self.runner.clone(),
        });
        Route::new()
            .at("/", route)
            .at("/stats", get(stats))
            .data(state)
            .map_to_response()
    }

    /// The counters now.
    pub fn stats(&self) -> Stats {
        self.counters
            .snapshot(self.runner.as_ref().map(Runner::metrics))
    }
}

impl fmt::Debug for PoemApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoemApp")
            .field("scenario", &self.scenario)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

struct State {
    counters: Arc<Counters>,
    runner: Option<Runner<Counting<TokioExecutor>>>,
}

#[handler]
fn hello(state: Data<&Arc<State>>) -> &'static str {
    Counters::bump(&state.counters.requests);
    BODY
}

#[handler]
fn stats(state: Data<&Arc<State>>) -> Response {
    let stats = state
        .counters
        .snapshot(state.runner.as_ref().map(Runner::metrics));
    stats
        .to_json()
        .with_content_type("application/json")
        .into_response()
}

fn async_tasks(state: &State, tasks: &BackgroundTasks, n: u64) -> &'static str {
    Counters::bump(&state.counters.requests);
    state.counters.queue_async(tasks, n);
    BODY
}

fn sync_tasks(state: &State, tasks: &BackgroundTasks, n: u64) -> &'static str {
    Counters::bump(&state.counters.requests);
    state.counters.queue_sync(tasks, n);
    BODY
}

#[handler]
fn one_async(state: Data<&Arc<State>>, tasks: BackgroundTasks) -> &'static str {
    async_tasks(&state, &tasks, 1)
}

#[handler]
fn ten_async(state: Data<&Arc<State>>, tasks: BackgroundTasks) -> &'static str {
    async_tasks(&state, &tasks, 10)
}

#[handler]
fn one_sync(state: Data<&Arc<State>>, tasks: BackgroundTasks) -> &'static str {
    sync_tasks(&state, &tasks, 1)
}

#[handler]
fn ten_sync(state: Data<&Arc<State>>, tasks: BackgroundTasks) -> &'static str {
    sync_tasks(&state, &tasks, 10)
}

#[handler]
fn raw_spawn(state: Data<&Arc<State>>) -> &'static str {
    let counters = &state.counters;
    Counters::bump(&counters.requests);
    Counters::bump(&counters.queued);
    Counters::bump(&counters.spawns);
    let task = Arc::clone(counters);
    drop(tokio::spawn(async move { trivial_task(&task) }));
    BODY
}

#[handler]
fn raw_spawn_blocking(state: Data<&Arc<State>>) -> &'static str {
    let counters = &state.counters;
    Counters::bump(&counters.requests);
    Counters::bump(&counters.queued);
    Counters::bump(&counters.blocking_trips);
    let task = Arc::clone(counters);
    drop(tokio::task::spawn_blocking(move || trivial_task(&task)));
    BODY
}

#[handler]
fn raw_spawn_blocking_ten(state: Data<&Arc<State>>) -> &'static str {
    Counters::bump(&state.counters.requests);
    drop(tokio::task::spawn_blocking(
        state.counters.ten_in_one_trip(),
    ));
    BODY
}
