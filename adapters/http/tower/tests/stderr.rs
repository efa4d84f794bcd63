//! C14 with no setup, over HTTP: with no `tracing` subscriber and no error hook, a failed task's
//! stderr line names the request that queued it. The server runs in a child process of this test
//! binary, whose stderr the parent reads.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;

use axum::Router;
use axum::routing::get;
use background_tasks::{BackgroundTasks, Task};
use background_tasks_tokio::TokioExecutor;
use background_tasks_tower::BackgroundTasksLayer;

const CHILD: &str = "BACKGROUND_TASKS_TOWER_STDERR_CHILD";

async fn fail(tasks: BackgroundTasks) -> &'static str {
    tasks.add(
        Task::sync(|| Err::<(), _>(std::io::Error::other("disk full"))).with_label("write_log"),
    );
    "queued"
}

/// One request to a real server, then waits for its task: what the child does.
fn serve_one_failing_request() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let layer = BackgroundTasksLayer::new(TokioExecutor::new());
        let runner = layer.runner().clone();
        let app = Router::new().route("/fail", get(fail)).layer(layer);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        let response = tokio::task::spawn_blocking(move || {
            let mut stream = TcpStream::connect(addr).unwrap();
            stream
                .write_all(b"GET /fail HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .unwrap();
            let mut response = String::new();
            stream.read_to_string(&mut response).unwrap();
            response
        })
        .await
        .unwrap();
        assert!(response.ends_with("queued"), "{response}");
        runner.idle().await;
    });
}

#[test]
fn c14_without_a_subscriber_the_stderr_line_names_the_request() {
    if std::env::var_os(CHILD).is_some() {
        serve_one_failing_request();
        return;
    }
    let test = "c14_without_a_subscriber_the_stderr_line_names_the_request";
    let output = Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .output()
        .unwrap();
    assert!(output.status.success(), "the child failed: {output:?}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr
            .lines()
            .any(|line| line == "background task write_log (GET /fail): task failed: disk full"),
        "stderr was: {stderr}"
    );
}
