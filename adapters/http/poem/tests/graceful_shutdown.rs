//! C16 on poem: `run` returns only once the server has stopped (poem's graceful shutdown: every
//! connection's response finished) and the task a request queued has finished; nothing is cut off.

mod common;

use std::sync::Arc;
use std::time::Duration;

use background_tasks::BackgroundTasks;
use background_tasks_conformance::http::{Client, Events, WAIT_LIMIT};
use background_tasks_poem::BackgroundTasksMiddleware;
use background_tasks_tokio::TokioExecutor;
use poem::listener::TcpAcceptor;
use poem::web::Data;
use poem::{EndpointExt, Route, Server, handler, post};
use tokio::sync::Notify;

#[handler]
fn slow(
    Data((events, gate)): Data<&(Events, Arc<Notify>)>,
    tasks: BackgroundTasks,
) -> &'static str {
    let (events, gate) = (events.clone(), gate.clone());
    tasks.add_async_task(async move {
        events.push("task started");
        gate.notified().await;
        events.push("task finished");
    });
    "queued"
}

#[test]
fn c16_poem_graceful_shutdown_then_drain_waits_for_the_tasks() {
    let events = Events::default();
    let runtime = common::runtime();
    let middleware =
        BackgroundTasksMiddleware::new(TokioExecutor::from_handle(runtime.handle().clone()));
    let runner = middleware.runner().clone();
    let gate = Arc::new(Notify::new());
    let app = Route::new()
        .at("/slow", post(slow))
        .with(middleware)
        .data((events.clone(), gate.clone()));

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (finished, report) = std::sync::mpsc::channel();
    let _context = runtime.enter();
    let server = Server::new_with_acceptor(TcpAcceptor::from_std(listener).unwrap())
        .run_with_graceful_shutdown(
            app,
            async move {
                let _ = stopped.await;
            },
            None,
        );
    let e = events.clone();
    runtime.spawn(async move {
        let shutdown = background_tasks_poem::run(server, &runner, WAIT_LIMIT).await;
        e.push("run returned");
        finished.send(shutdown).unwrap();
    });

    let (head, _) = Client::connect(addr).request("POST", "/slow");
    assert_eq!(head.status, 200);
    events.wait_for("task started");

    // The server stops (the client's connection closed with it); the task still waits.
    stop.send(()).unwrap();
    assert!(
        report.recv_timeout(Duration::from_millis(0)).is_err(),
        "`run` returned while a task was still waiting"
    );
    gate.notify_one();
    let shutdown = report
        .recv_timeout(WAIT_LIMIT)
        .expect("`run` returns once the task is done")
        .expect("the server ran");
    assert!(shutdown.is_complete(), "{shutdown:?}");
    assert_eq!(
        (shutdown.abandoned_at_deadline, shutdown.metrics.succeeded),
        (0, 1),
        "{shutdown:?}"
    );
    events.assert_order(["task started", "task finished", "run returned"]);
}
