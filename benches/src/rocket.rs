//! [`RocketApp`]: a [`Scenario`] on Rocket 0.5, as the load server serves it beside axum,
//! actix-web and poem.
//!
//! Rocket is not tower-based, so the scenarios are written again with its types:
//! `BackgroundTasksFairing` for the layer's, the `BackgroundTasks` request guard, and the
//! hand-written spawns on the tokio runtime Rocket itself runs on. One handler serves every
//! scenario (Rocket's `Handler`, as its conformance harness does), so the work per request is the
//! scenario's and nothing else.

use std::fmt;
use std::sync::Arc;

use background_tasks::{BackgroundTasks, Runner};
use background_tasks_rocket::BackgroundTasksFairing;
use background_tasks_tokio::TokioExecutor;
use rocket::http::{ContentType, Method, Status};
use rocket::outcome::Outcome;
use rocket::route::{self, Handler, Route};
use rocket::{Build, Data, Request};

use crate::counters::{Counters, Counting, Stats, trivial_task};
use crate::scenario::Scenario;

/// The body every scenario answers `GET /` with.
const BODY: &str = "hello";

/// One [`Scenario`] on Rocket: `GET /` does its work, `GET /stats` answers the [`Stats`].
///
/// # Examples
///
/// ```
/// use background_tasks_benches::{RocketApp, Scenario};
///
/// let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// let _guard = runtime.enter();
/// let app = RocketApp::new(Scenario::OneAsync).unwrap();
/// assert_eq!(app.stats().requests, 0);
/// assert!(RocketApp::new(Scenario::NoopLayer).is_none());
/// ```
pub struct RocketApp {
    scenario: Scenario,
    counters: Arc<Counters>,
    runner: Option<Runner<Counting<TokioExecutor>>>,
}

impl RocketApp {
    /// `scenario`, its tasks on the current tokio runtime (Rocket's); `None` for
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

    /// `rocket` with the scenario's routes mounted, and the fairing attached for the scenarios
    /// that have it.
    pub fn mount(&self, rocket: rocket::Rocket<Build>) -> rocket::Rocket<Build> {
        let work = Work {
            scenario: self.scenario,
            counters: Arc::clone(&self.counters),
            runner: self.runner.clone(),
        };
        let rocket = rocket.mount(
            "/",
            vec![
                Route::new(Method::Get, "/", work.clone()),
                Route::new(Method::Get, "/stats", StatsRoute(work)),
            ],
        );
        match &self.runner {
            Some(runner) => rocket.attach(BackgroundTasksFairing::with_runner(runner.clone())),
            None => rocket,
        }
    }

    /// The counters now.
    pub fn stats(&self) -> Stats {
        self.counters
            .snapshot(self.runner.as_ref().map(Runner::metrics))
    }
}

impl fmt::Debug for RocketApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RocketApp")
            .field("scenario", &self.scenario)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

/// `GET /`: the scenario's work.
#[derive(Clone)]
struct Work {
    scenario: Scenario,
    counters: Arc<Counters>,
    runner: Option<Runner<Counting<TokioExecutor>>>,
}

/// `GET /stats`: the counters of the app's [`Work`].
#[derive(Clone)]
struct StatsRoute(Work);

#[rocket::async_trait]
impl Handler for Work {
    async fn handle<'r>(&self, request: &'r Request<'_>, _data: Data<'r>) -> route::Outcome<'r> {
        let counters = &self.counters;
        Counters::bump(&counters.requests);
        match self.scenario {
            Scenario::Bare | Scenario::NoopLayer | Scenario::LayerEmpty => {}
            Scenario::OneAsync | Scenario::TenAsync | Scenario::OneSync | Scenario::TenSync => {
                let tasks = match request.guard::<BackgroundTasks>().await {
                    Outcome::Success(tasks) => tasks,
                    Outcome::Error((status, _)) | Outcome::Forward(status) => {
                        return route::Outcome::Error(status);
                    }
                };
                let n = self.scenario.tasks_per_request();
                match self.scenario {
                    Scenario::OneSync | Scenario::TenSync => counters.queue_sync(&tasks, n),
                    _ => counters.queue_async(&tasks, n),
                }
            }
            Scenario::RawSpawn => {
                Counters::bump(&counters.queued);
                Counters::bump(&counters.spawns);
                let task = Arc::clone(counters);
                drop(tokio::spawn(async move { trivial_task(&task) }));
            }
            Scenario::RawSpawnBlocking => {
                Counters::bump(&counters.queued);
                Counters::bump(&counters.blocking_trips);
                let task = Arc::clone(counters);
                drop(tokio::task::spawn_blocking(move || trivial_task(&task)));
            }
            Scenario::RawSpawnBlockingTen => {
                drop(tokio::task::spawn_blocking(counters.ten_in_one_trip()));
            }
        }
        route::Outcome::from(request, BODY)
    }
}

#[rocket::async_trait]
impl Handler for StatsRoute {
    async fn handle<'r>(&self, request: &'r Request<'_>, _data: Data<'r>) -> route::Outcome<'r> {
        let Work {
            counters, runner, ..
        } = &self.0;
        let stats = counters.snapshot(runner.as_ref().map(Runner::metrics));
        match route::Outcome::from(request, (ContentType::JSON, stats.to_json())) {
            Outcome::Success(response) => Outcome::Success(response),
            _ => route::Outcome::Error(Status::InternalServerError),
        }
    }
}
