//! C19: a failing task's log line carries the request that queued it (method and path, not the
//! query) and the task's label, through the layer's request span and the runner's task spans.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use background_tasks::{BackgroundTasks, Task};
use background_tasks_conformance::http::{Client, Reports};
use background_tasks_tower::BackgroundTasksLayer;
use common::TokioServer;

/// Everything the subscriber writes, for the test to read back.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn c19_failure_logs_name_the_request_and_the_task() {
    let captured = Captured::default();
    let writer = captured.clone();
    // Tasks run on pool threads: only a global subscriber sees them.
    tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_target(false)
        .init();

    let reports = Reports::default();
    let server = TokioServer::start(|executor| {
        axum::Router::new()
            .route(
                "/orders/{id}",
                axum::routing::post(|tasks: BackgroundTasks| async move {
                    tasks.add(
                        Task::sync(|| Err::<(), _>("card declined")).with_label("charge card"),
                    );
                    "accepted"
                }),
            )
            .layer(BackgroundTasksLayer::new(executor).on_report(reports.hook()))
    });
    let mut client = Client::connect(server.addr);
    let (head, _) = client.request("POST", "/orders/7?token=secret");
    assert_eq!(head.status, 200);
    assert!(!reports.take("/orders/7").run().is_success());

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let line = log
        .lines()
        .find(|line| line.contains("background task did not succeed"))
        .unwrap_or_else(|| panic!("no failure line in:\n{log}"));
    assert!(
        line.contains(r#"background_tasks{otel.name=background_tasks POST http.request.method=POST url.path="/orders/7"}"#),
        "{line}"
    );
    assert!(
        line.contains("background_task{task=charge card kind=\"sync\"}"),
        "{line}"
    );
    assert!(line.contains("card declined"), "{line}");
    assert!(
        !line.contains("secret"),
        "the query stays out of logs: {line}"
    );
}
