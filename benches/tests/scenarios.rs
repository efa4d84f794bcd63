//! Each scenario does the work it claims, on each runtime: one request in-process, then the
//! counters. A bench that measured the wrong thing would report a number all the same.

use std::future::Future;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use background_tasks::Executor;
use background_tasks_async_std::AsyncStdExecutor;
use background_tasks_benches::{
    ActixApp, App, AsyncStd, Placement, Runtime, Scenario, Smol, Stats, Tokio,
};
use background_tasks_smol::SmolExecutor;
use background_tasks_tokio::TokioExecutor;
use http_body_util::BodyExt;
use tower::{Layer, ServiceExt};

/// Sends `GET /` twice (so that a queue left from the first would show), waits for the work to
/// drain, and returns the counters.
async fn two_requests<E: Executor + Clone>(app: &App<E>, sleep: impl Fn() -> Sleep) -> Stats {
    for _ in 0..2 {
        let request = Request::get("/").body(Body::empty()).unwrap();
        let response = match app.layer() {
            Some(layer) => {
                let response = layer.layer(app.router()).oneshot(request).await.unwrap();
                response.map(Body::new)
            }
            None => app.router().oneshot(request).await.unwrap(),
        };
        let status = response.status();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        assert_eq!(body, "hello");
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while !app.stats().is_drained() {
        assert!(Instant::now() < deadline, "not drained: {:?}", app.stats());
        sleep().await;
    }
    app.stats()
}

type Sleep = std::pin::Pin<Box<dyn Future<Output = ()> + Send>>;

fn check(scenario: Scenario, stats: Stats, runtime: &str) {
    let tasks = scenario.tasks_per_request();
    let context = format!("{runtime} {scenario}: {stats:?}");
    assert_eq!(stats.requests, 2, "{context}");
    assert_eq!(stats.queued, 2 * tasks, "{context}");
    assert_eq!(stats.completed, 2 * tasks, "{context}");
    let (spawns, trips) = match scenario {
        Scenario::Bare | Scenario::NoopLayer | Scenario::LayerEmpty => (0, 0),
        Scenario::OneAsync | Scenario::TenAsync | Scenario::RawSpawn => (1, 0),
        // A queue of sync tasks starts on the blocking pool, as the raw call does.
        Scenario::OneSync
        | Scenario::TenSync
        | Scenario::RawSpawnBlocking
        | Scenario::RawSpawnBlockingTen => (0, 1),
    };
    if trips == 0 {
        assert_eq!(stats.spawns, 2 * spawns, "{context}");
    } else {
        // The lane's watchdog: spawned when a sync queue finds the pool job ahead of it busy.
        assert!(stats.spawns <= 2, "{context}");
    }
    // glibc serves requests of 1 KiB and more from its large-chunk path, which consolidates its
    // free lists first: a spawned run that large made every request with tasks pay for it.
    assert!(stats.largest_spawn < 1000, "{context}");
    // Sync queues that reach the runner's lane together may share a pool job: at most one each.
    if trips == 0 {
        assert_eq!(stats.blocking_trips, 0, "{context}");
    } else {
        assert!((1..=2 * trips).contains(&stats.blocking_trips), "{context}");
    }
    if scenario.has_layer() {
        assert_eq!(stats.runner_queued, 2 * tasks, "{context}");
        assert_eq!(stats.runner_settled, 2 * tasks, "{context}");
    }
}

fn placements(scenario: Scenario) -> Vec<Placement> {
    if scenario.has_layer() {
        vec![Placement::InsideRouter, Placement::AroundRouter]
    } else {
        vec![Placement::InsideRouter]
    }
}

#[test]
fn every_scenario_on_tokio() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    for scenario in Scenario::ALL {
        for placement in placements(scenario) {
            let stats = runtime.block_on(async {
                let app = App::new::<Tokio>(scenario, TokioExecutor::new(), placement);
                two_requests(&app, || {
                    Box::pin(tokio::time::sleep(Duration::from_millis(1)))
                })
                .await
            });
            check(scenario, stats, Tokio::NAME);
        }
    }
}

#[test]
fn every_scenario_on_smol() {
    for scenario in Scenario::ALL {
        for placement in placements(scenario) {
            let stats = smol::block_on(async {
                let app = App::new::<Smol>(scenario, SmolExecutor::new(), placement);
                two_requests(&app, || {
                    Box::pin(async {
                        smol::Timer::after(Duration::from_millis(1)).await;
                    })
                })
                .await
            });
            check(scenario, stats, Smol::NAME);
        }
    }
}

#[test]
fn every_scenario_on_async_std() {
    for scenario in Scenario::ALL {
        for placement in placements(scenario) {
            let stats = async_std::task::block_on(async {
                let app = App::new::<AsyncStd>(scenario, AsyncStdExecutor::new(), placement);
                two_requests(&app, || {
                    Box::pin(async_std::task::sleep(Duration::from_millis(1)))
                })
                .await
            });
            check(scenario, stats, AsyncStd::NAME);
        }
    }
}

#[test]
fn every_scenario_but_tower_s_noop_layer_on_actix() {
    let tasks = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    for scenario in Scenario::ALL {
        let Some(app) = ActixApp::new(scenario, tasks.handle().clone()) else {
            assert_eq!(scenario, Scenario::NoopLayer);
            continue;
        };
        let stats = actix_web::rt::System::new().block_on(async {
            let (middleware, routes) = (app.middleware(), app.routes());
            let service = actix_web::test::init_service(
                actix_web::App::new()
                    .wrap(actix_web::middleware::Condition::new(
                        middleware.is_some(),
                        middleware.unwrap_or_else(|| {
                            // Off: a value of the right type, never installed.
                            background_tasks_actix::BackgroundTasksMiddleware::new(
                                background_tasks_benches::Counting::new(
                                    TokioExecutor::from_handle(tasks.handle().clone()),
                                    Default::default(),
                                ),
                            )
                        }),
                    ))
                    .configure(routes),
            )
            .await;
            for _ in 0..2 {
                let request = actix_web::test::TestRequest::get().uri("/").to_request();
                let body = actix_web::test::call_and_read_body(&service, request).await;
                assert_eq!(body, "hello");
            }
            let deadline = Instant::now() + Duration::from_secs(10);
            while !app.stats().is_drained() {
                assert!(Instant::now() < deadline, "not drained: {:?}", app.stats());
                actix_web::rt::time::sleep(Duration::from_millis(1)).await;
            }
            app.stats()
        });
        check(scenario, stats, "actix");
    }
}

#[test]
fn scenario_names_round_trip() {
    for scenario in Scenario::ALL {
        assert_eq!(scenario.name().parse::<Scenario>(), Ok(scenario));
    }
    let error = "nope".parse::<Scenario>().unwrap_err().to_string();
    assert!(error.contains("layer-empty"), "{error}");
}
