//! FastAPI's third example on axum: `async_cleanup` sleeps on tokio's timer after the response.

mod common;

use std::time::{Duration, Instant};

use background_tasks::Outcome;
use background_tasks_example_axum::async_cleanup;
use background_tasks_tower::Decision;
use common::Server;

#[test]
fn async_cleanup_answers_then_cleans_up_after_its_sleep() {
    let delay = Duration::from_millis(200);
    let server = Server::start(delay, async_cleanup::app);

    let sent = Instant::now();
    server
        .client()
        .post_ok("/process/report.csv", r#"{"message":"Processing started"}"#);
    let report = server.next_report();
    assert!(
        sent.elapsed() >= delay,
        "the task slept {delay:?} on the runtime's timer before its report"
    );
    assert_eq!(report.decision(), Decision::Ran);
    let task = &report.run().tasks()[0];
    assert_eq!(task.outcome, Outcome::Succeeded);
    assert!(task.label.contains("async_cleanup"), "{}", task.label);
    assert_eq!(server.log(), "Cleaned up report.csv\n");
}
