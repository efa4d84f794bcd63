//! C16 on actix-web: tasks outlive the worker that queued them. A request's task is still waiting
//! when the server stops (its workers and their runtimes gone); `run` returns only once the task
//! has finished on the application's runtime, and reports nothing cut off.

use std::sync::{Arc, mpsc};
use std::time::Duration;

use actix_web::{App, HttpServer, web};
use background_tasks::BackgroundTasks;
use background_tasks_actix::BackgroundTasksMiddleware;
use background_tasks_conformance::http::{Client, Events, WAIT_LIMIT};
use background_tasks_tokio::TokioExecutor;

#[test]
fn c16_actix_server_stop_then_drain_waits_for_tasks_queued_by_stopped_workers() {
    let events = Events::default();
    // The tasks' runtime, the application's own: it outlives actix's workers.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let middleware =
        BackgroundTasksMiddleware::new(TokioExecutor::from_handle(runtime.handle().clone()));
    let runner = middleware.runner().clone();
    // The task waits at this gate until the server has stopped.
    let gate = Arc::new(tokio::sync::Notify::new());
    let open = Arc::clone(&gate);

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (started, handle) = mpsc::channel();
    let (finished, report) = mpsc::channel();
    let e = events.clone();
    let system = std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = HttpServer::new(move || {
                let (e, gate) = (e.clone(), gate.clone());
                App::new().wrap(middleware.clone()).route(
                    "/slow",
                    web::post().to(move |tasks: BackgroundTasks| {
                        let (e, gate) = (e.clone(), gate.clone());
                        async move {
                            tasks.add_async_task(async move {
                                e.push("task started");
                                gate.notified().await;
                                e.push("task finished");
                            });
                            "queued"
                        }
                    }),
                )
            })
            .workers(1)
            .disable_signals()
            .listen(listener)
            .unwrap()
            .run();
            started.send(server.handle()).unwrap();
            let shutdown = background_tasks_actix::run(server, &runner, WAIT_LIMIT).await;
            finished.send(shutdown).unwrap();
        });
    });
    let handle = handle.recv().unwrap();

    let (head, _) = Client::connect(addr).request("POST", "/slow");
    assert_eq!(head.status, 200);
    events.wait_for("task started");

    // The server stops: its worker, whose runtime served the request, is gone.
    futures_lite::future::block_on(handle.stop(true));
    events.push("server stopped");
    assert!(
        report.recv_timeout(Duration::ZERO).is_err(),
        "`run` returned while a task was still waiting"
    );

    open.notify_one();
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
    events.assert_order(["task started", "server stopped", "task finished"]);
    system.join().unwrap();
}
