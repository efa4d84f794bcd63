//! C16 wired into the servers: stop accepting, let responses finish, drain the tasks, exit. On
//! smol with `server::serve(..).with_graceful_shutdown`, and on tokio with axum's own.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::mpsc;
use std::time::Duration;

use background_tasks::{BackgroundTasks, Runner, ShutdownReport};
use background_tasks_conformance::http::{Client, Events, WAIT_LIMIT};
use background_tasks_server as server;
use background_tasks_smol::SmolExecutor;
use background_tasks_tokio::TokioExecutor;
use background_tasks_tower::BackgroundTasksLayer;
use http::{Request, Response};
use tower::{Layer, service_fn};

/// Adds one sync task that waits for the test's go-ahead, so the shutdown has work to drain.
fn queue_gated_task(tasks: &BackgroundTasks, events: &Events, gate: mpsc::Receiver<()>) {
    let events = events.clone();
    tasks.add_task(move || {
        events.push("task started");
        gate.recv_timeout(WAIT_LIMIT)
            .expect("the test opens the gate");
        events.push("task ended");
    });
}

/// The client side, the same for every server: a response, then the shutdown, which closes the
/// idle keep-alive connection and returns while the task still runs; then the runner's drain.
fn shut_down_while_a_task_runs(
    addr: SocketAddr,
    events: &Events,
    open_gate: mpsc::Sender<()>,
    stop: impl FnOnce(),
    reports: mpsc::Receiver<ShutdownReport>,
) {
    let mut client = Client::connect(addr);
    let (head, body) = client.request("GET", "/send-notification/ada@example.com");
    assert_eq!((head.status, body), (200, b"sent".to_vec()));
    events.wait_for("task started");

    stop();
    // The idle keep-alive connection is closed by the server, not left hanging.
    let rest = client.read_to_close();
    assert!(rest.is_empty(), "nothing more was sent");
    // The server future returns (it no longer accepts) while the task is still running: the
    // runner's shutdown is what waits for the task.
    assert_eq!(
        events.wait_for("server stopped"),
        ["task started", "server stopped"],
        "the task is still running"
    );

    open_gate.send(()).unwrap();
    let report = reports
        .recv_timeout(WAIT_LIMIT)
        .expect("the shutdown finishes");
    assert!(report.is_complete(), "{report:?}");
    assert_eq!(report.metrics.succeeded, 1);
    assert_eq!(report.metrics.queued, report.metrics.settled());
    assert_eq!(
        events.snapshot(),
        ["task started", "server stopped", "task ended"]
    );
}

#[test]
fn c16_smol_serve_shuts_down_gracefully_and_drains_tasks() {
    let events = Events::default();
    let (open_gate, gate) = mpsc::channel();
    let gate = std::sync::Arc::new(std::sync::Mutex::new(Some(gate)));
    let runner = Runner::new(SmolExecutor::new());
    let handler = {
        let events = events.clone();
        service_fn(move |_request: Request<hyper::body::Incoming>| {
            let tasks = BackgroundTasks::current().unwrap();
            queue_gated_task(&tasks, &events, gate.lock().unwrap().take().unwrap());
            async { Ok::<_, Infallible>(Response::new("sent".to_owned())) }
        })
    };
    let service = BackgroundTasksLayer::with_runner(runner.clone()).layer(handler);
    let listener = smol::block_on(smol::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = smol::channel::bounded::<()>(1);
    let (reported, reports) = mpsc::channel();
    let server_events = events.clone();
    std::thread::spawn(move || {
        smol::block_on(async {
            server::serve(listener.incoming(), service, SmolExecutor::new())
                .with_graceful_shutdown(async {
                    let _ = stopped.recv().await;
                })
                .await
                .unwrap();
            // `incoming()` borrows the listener: close it as soon as serving is over.
            drop(listener);
            server_events.push("server stopped");
            reported
                .send(runner.shutdown(Duration::from_secs(10)).await)
                .unwrap();
        })
    });
    shut_down_while_a_task_runs(
        addr,
        &events,
        open_gate,
        || stop.send_blocking(()).unwrap(),
        reports,
    );
}

#[test]
fn c16_axum_graceful_shutdown_then_runner_shutdown_drains_tasks() {
    let events = Events::default();
    let (open_gate, gate) = mpsc::channel();
    let gate = std::sync::Arc::new(std::sync::Mutex::new(Some(gate)));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let runner = Runner::new(TokioExecutor::from_handle(runtime.handle().clone()));
    let app = {
        let events = events.clone();
        axum::Router::new()
            .route(
                "/send-notification/{email}",
                axum::routing::get(move |tasks: BackgroundTasks| async move {
                    queue_gated_task(&tasks, &events, gate.lock().unwrap().take().unwrap());
                    "sent"
                }),
            )
            .layer(BackgroundTasksLayer::with_runner(runner.clone()))
    };
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (reported, reports) = mpsc::channel();
    let server_events = events.clone();
    runtime.spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        server_events.push("server stopped");
        reported
            .send(runner.shutdown(Duration::from_secs(10)).await)
            .unwrap();
    });
    shut_down_while_a_task_runs(addr, &events, open_gate, || stop.send(()).unwrap(), reports);
    runtime.shutdown_background();
}
