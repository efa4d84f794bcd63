//! The page's JSON, live stream and actions over real HTTP: the app on 127.0.0.1, a hand-written
//! client over TCP.

mod common;

use std::time::Instant;

use background_tasks::Outcome;
use background_tasks::status::{Observer, TaskId, TaskState};
use background_tasks_conformance::http::Client;
use background_tasks_status::CONTENT_SECURITY_POLICY;
use common::{ADMIN, READ_ONLY, TestApp, WAIT};
use serde_json::Value;

/// Waits, on the observer's own change signal, until `done` holds; fails after [`WAIT`].
fn wait_until(observer: &Observer, what: &str, done: impl Fn(&Observer) -> bool) {
    let deadline = Instant::now() + WAIT;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    loop {
        let seen = observer.version();
        if done(observer) {
            return;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let changed =
            runtime.block_on(async { tokio::time::timeout(left, observer.changed(seen)).await });
        assert!(changed.is_ok(), "waited {WAIT:?} for {what}");
    }
}

fn get_json(client: &mut Client, target: &str) -> (u16, Value) {
    let (head, body) = client.request("GET", target);
    (head.status, serde_json::from_slice(&body).expect("JSON"))
}

fn task_id(client: &mut Client, method: &str, target: &str) -> TaskId {
    let (head, body) = client.request(method, target);
    assert_eq!(head.status, 200);
    String::from_utf8(body).unwrap().parse().expect("a task id")
}

#[test]
fn the_page_and_its_files_are_served_under_a_strict_csp() {
    let app = TestApp::start();
    let mut client = Client::connect(app.addr);
    for (path, kind) in [
        ("", "text/html"),
        ("app.js", "text/javascript"),
        ("app.css", "text/css"),
    ] {
        for prefix in [ADMIN, READ_ONLY] {
            let (head, body) = client.request("GET", &format!("{prefix}{path}"));
            assert_eq!(head.status, 200, "{prefix}{path}");
            assert!(head.header("content-type").unwrap().starts_with(kind));
            assert_eq!(
                head.header("content-security-policy"),
                Some(CONTENT_SECURITY_POLICY)
            );
            assert!(!body.is_empty());
        }
    }
    let (head, _) = client.request("GET", &format!("{ADMIN}nothing-here"));
    assert_eq!(head.status, 404);
    let (head, _) = client.request("DELETE", &format!("{ADMIN}api/snapshot"));
    assert_eq!(head.status, 405);
}

#[test]
fn a_task_id_and_its_queue_are_looked_up_through_the_json() {
    let app = TestApp::start();
    let mut client = Client::connect(app.addr);
    let ok = task_id(&mut client, "GET", "/ok");
    let failed = task_id(&mut client, "GET", "/fail");
    wait_until(app.observer(), "both tasks to end", |o| {
        matches!(o.task(ok), TaskState::Ended(_)) && matches!(o.task(failed), TaskState::Ended(_))
    });
    let (status, task) = get_json(&mut client, &format!("{READ_ONLY}api/tasks/{ok}"));
    assert_eq!(status, 200);
    assert_eq!(task["state"], "succeeded");
    assert_eq!(task["label"], "send welcome email");
    assert!(task["duration_ms"].is_number());
    let (_, task) = get_json(&mut client, &format!("{READ_ONLY}api/tasks/{failed}"));
    assert_eq!(task["state"], "failed");
    assert_eq!(task["error"], "smtp refused: mailbox full");
    assert_eq!(task["job_id"], Value::Null);

    let (status, task) = get_json(&mut client, &format!("{READ_ONLY}api/tasks/999999999-0"));
    assert_eq!((status, &task["state"]), (200, &Value::from("unknown")));
    let (status, error) = get_json(&mut client, &format!("{READ_ONLY}api/tasks/banana"));
    assert_eq!(status, 400);
    assert!(error["error"].as_str().unwrap().contains("17-0"));

    let (_, snapshot) = get_json(&mut client, &format!("{READ_ONLY}api/snapshot"));
    assert_eq!(snapshot["access"], "read_only");
    assert_eq!(snapshot["counts"]["succeeded"], 1);
    assert_eq!(snapshot["counts"]["failed"], 1);
    let queue = snapshot["queues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["id"] == ok.queue())
        .expect("the /ok queue is kept");
    assert_eq!(
        (&queue["method"], &queue["path"]),
        (&"GET".into(), &"/ok".into())
    );
    assert_eq!(queue["status"], 200);
    assert!(queue["queue_delay_ms"].is_number());
    let run_times: u64 = snapshot["histograms"]["run_time"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().unwrap())
        .sum();
    assert_eq!(run_times, 2);

    // A task that handed a durable job on answers `pushed`, with the job's id.
    let pushed = task_id(&mut client, "GET", "/push");
    wait_until(app.observer(), "the hand-over to end", |o| {
        !matches!(o.task(pushed), TaskState::Queued | TaskState::Running)
    });
    let (_, task) = get_json(&mut client, &format!("{READ_ONLY}api/tasks/{pushed}"));
    assert_eq!(
        (&task["state"], &task["job_id"]),
        (&"pushed".into(), &"01JOBTEST".into())
    );
}

/// Reads the live stream's chunks until one carries `needle`; returns the last event id seen.
fn read_until(stream: &mut Client, needle: &str) -> (u64, String) {
    let mut last_id = 0;
    loop {
        let chunk = String::from_utf8(stream.read_chunk()).unwrap();
        for line in chunk.lines() {
            if let Some(id) = line.strip_prefix("id: ") {
                last_id = id.parse().unwrap();
            }
        }
        if chunk.contains(needle) {
            return (last_id, chunk);
        }
    }
}

#[test]
fn the_live_stream_sends_changes_and_resumes_from_the_last_event_id() {
    let app = TestApp::start();
    let mut client = Client::connect(app.addr);
    let before = task_id(&mut client, "GET", "/ok");
    let mut stream = Client::connect(app.addr);
    stream.send("GET", &format!("{READ_ONLY}api/events"));
    let head = stream.read_head();
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-type"), Some("text/event-stream"));
    let (first, chunk) = read_until(&mut stream, "event: update");
    assert!(chunk.starts_with("retry: "), "{chunk}");

    let after = task_id(&mut client, "GET", "/fail");
    let (seen, chunk) = read_until(&mut stream, "smtp refused: mailbox full");
    assert!(seen > first);
    assert!(chunk.contains(&format!("\"{after}\"")));
    drop(stream);

    // What happened while no stream was open comes first on the next one, and only that.
    let missed = task_id(&mut client, "GET", "/ok");
    let mut resumed = Client::connect(app.addr);
    let last = seen.to_string();
    resumed.send_with_headers(
        "GET",
        &format!("{READ_ONLY}api/events"),
        &[("last-event-id", &last)],
    );
    assert_eq!(resumed.read_head().status, 200);
    let (_, chunk) = read_until(&mut resumed, "event: update");
    let data: Value = serde_json::from_str(
        chunk
            .lines()
            .find_map(|l| l.strip_prefix("data: "))
            .unwrap(),
    )
    .unwrap();
    let queues: Vec<u64> = data["queues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["id"].as_u64().unwrap())
        .collect();
    assert!(queues.contains(&missed.queue()), "{queues:?}");
    assert!(!queues.contains(&before.queue()), "{queues:?}");
}

#[test]
fn only_admin_cancels_a_queued_task_which_is_then_discarded_with_its_reason() {
    let app = TestApp::start();
    let mut client = Client::connect(app.addr);
    let queued = task_id(&mut client, "POST", "/hold");
    let first: TaskId = format!("{}-0", queued.queue()).parse().unwrap();
    wait_until(app.observer(), "the first task to start", |o| {
        o.task(first) == TaskState::Running
    });
    let cancel = |prefix: &str| format!("{prefix}api/tasks/{queued}/cancel");

    let (head, body) = client.request("POST", &cancel(READ_ONLY));
    assert_eq!(head.status, 403, "{}", String::from_utf8_lossy(&body));
    let (head, _) = client.request("GET", &cancel(ADMIN));
    assert_eq!(head.status, 405, "a cancel is a POST");
    assert_eq!(app.observer().task(queued), TaskState::Queued);

    let (head, body) = client.request("POST", &cancel(ADMIN));
    assert_eq!(head.status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(
        app.observer().task(queued),
        TaskState::Ended(Outcome::Discarded)
    );
    let (_, task) = get_json(&mut client, &format!("{ADMIN}api/tasks/{queued}"));
    assert_eq!(task["state"], "discarded");
    assert!(
        task["error"]
            .as_str()
            .unwrap()
            .starts_with("cancelled from the status page by 127.0.0.1:")
    );
    let (head, _) = client.request("POST", &cancel(ADMIN));
    assert_eq!(head.status, 409, "nothing left to cancel");

    app.release.notify_one();
    wait_until(app.observer(), "the queue to end", |o| {
        o.counts().running == 0
    });
    assert_eq!(app.runner.metrics().discarded, 1);
    assert_eq!(app.runner.metrics().succeeded, 1);
}

#[test]
fn ending_the_streams_ends_an_open_one_after_its_last_update() {
    let app = TestApp::start();
    let mut stream = Client::connect(app.addr);
    stream.send("GET", &format!("{ADMIN}api/events"));
    assert_eq!(stream.read_head().status, 200);
    read_until(&mut stream, "event: update");
    app.admin.end_streams();
    // Its last update, then the chunked body's end: a graceful shutdown need not wait for it.
    let last = String::from_utf8(stream.read_chunk()).unwrap();
    assert!(last.contains("event: update"), "{last}");
    assert!(stream.read_chunk().is_empty(), "the stream ended");
}
