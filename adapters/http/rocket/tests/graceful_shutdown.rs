//! C16 on Rocket: `run` returns only once Rocket has shut down (its connections' responses
//! finished) and the task a request queued has finished; nothing is cut off.

mod common;

use std::sync::Arc;
use std::time::Duration;

use background_tasks::BackgroundTasks;
use background_tasks_conformance::http::{Client, Events, WAIT_LIMIT};
use background_tasks_rocket::BackgroundTasksFairing;
use rocket::tokio::sync::Notify;
use rocket::{State, post, routes};

#[post("/slow")]
fn slow(state: &State<(Events, Arc<Notify>)>, tasks: BackgroundTasks) -> &'static str {
    let (events, gate) = state.inner().clone();
    tasks.add_async_task(async move {
        events.push("task started");
        gate.notified().await;
        events.push("task finished");
    });
    "queued"
}

#[test]
fn c16_rocket_shutdown_then_drain_waits_for_the_tasks() {
    let events = Events::default();
    let runtime = common::runtime();
    let fairing = BackgroundTasksFairing::new(common::executor(&runtime));
    let runner = fairing.runner().clone();
    let gate = Arc::new(Notify::new());
    let rocket = common::quiet_rocket()
        .manage((events.clone(), gate.clone()))
        .attach(fairing)
        .mount("/", routes![slow]);
    let e = events.clone();
    let server = common::launch(&runtime, rocket, move |rocket| async move {
        let ran = background_tasks_rocket::run(rocket, &runner, WAIT_LIMIT).await;
        e.push("run returned");
        ran.map_err(|error| error.to_string())
    });

    let (head, _) = Client::connect(server.addr).request("POST", "/slow");
    assert_eq!(head.status, 200);
    events.wait_for("task started");

    server.shutdown.notify();
    assert!(
        server.finished.recv_timeout(Duration::ZERO).is_err(),
        "`run` returned while a task was still waiting"
    );
    gate.notify_one();
    let shutdown = server
        .finished
        .recv_timeout(WAIT_LIMIT)
        .expect("`run` returns once the task is done")
        .expect("Rocket ran");
    assert!(shutdown.is_complete(), "{shutdown:?}");
    assert_eq!(
        (shutdown.abandoned_at_deadline, shutdown.metrics.succeeded),
        (0, 1),
        "{shutdown:?}"
    );
    events.assert_order(["task started", "task finished", "run returned"]);
}
