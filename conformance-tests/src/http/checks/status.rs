//! C26 on every framework: the status page's JSON and live stream, and its access rule, served
//! by the harness's own integration (tower's `StatusPage::mount`, actix-web's `actix_scope`).

use std::sync::{Arc, Mutex};

use background_tasks::status::{Observer, TaskId};
use background_tasks::{BackgroundTasks, Runner, Task};
use background_tasks_status::{Access, StatusPage};
use http::StatusCode;
use hyper::body::Bytes;

use super::serve_app;
use crate::http::{Action, App, Client, HttpHarness, Reply, ReplyBody, Reports, RequestView};

/// Where the checks mount the page.
const PREFIX: &str = "/_tasks/";

/// The handler's answer: the id of the task it queued (a failing one on `/fail`).
fn queue_with_id(request: &RequestView, tasks: &BackgroundTasks) -> Action {
    let task = match request.path.as_str() {
        "/fail" => Task::sync(|| Err::<(), _>("smtp refused: mailbox full")).with_label("receipt"),
        _ => Task::sync(|| ()).with_label("welcome email"),
    };
    let id = tasks
        .add_with_id(task)
        .expect("the check's runner observes its queues");
    Reply::new(StatusCode::OK, ReplyBody::Full(Bytes::from(id.to_string()))).into()
}

/// An app whose runner is observed, the page at [`PREFIX`] with a header as its access rule
/// (`x-status-access: admin`, else read-only): servers without a peer address still reach it.
fn observed_app<H: HttpHarness>(harness: &H, reports: &Reports) -> App<H::Executor> {
    let runner = Runner::new(harness.executor()).observe(Observer::new(100));
    let page = StatusPage::new(&runner)
        .expect("observed")
        .access(|caller| match caller.header("x-status-access") {
            Some("admin") => Access::Admin,
            _ => Access::ReadOnly,
        });
    App::new(reports, queue_with_id)
        .runner(runner)
        .status_page(PREFIX, page)
}

fn id_of(client: &mut Client, path: &str) -> TaskId {
    let (head, body) = client.request("GET", path);
    assert_eq!(head.status, 200, "GET {path}");
    String::from_utf8(body).unwrap().parse().expect("a task id")
}

fn json(client: &mut Client, path: &str) -> serde_json::Value {
    let (head, body) = client.request("GET", &format!("{PREFIX}{path}"));
    assert_eq!(head.status, 200, "GET {PREFIX}{path}");
    assert_eq!(
        head.header("content-security-policy"),
        Some(background_tasks_status::CONTENT_SECURITY_POLICY)
    );
    serde_json::from_slice(&body).expect("JSON")
}

/// C26: a task's id, handed to the client, is looked up in the page's JSON with its outcome and
/// error, and the snapshot shows its request.
pub fn c26_a_task_is_looked_up_by_its_id_with_its_outcome<H: HttpHarness>() {
    let harness = H::new();
    let reports = Reports::default();
    let addr = serve_app(&harness, observed_app(&harness, &reports));
    let mut client = Client::connect(addr);
    let ok = id_of(&mut client, "/ok");
    let failed = id_of(&mut client, "/fail");
    reports.take("/ok");
    reports.take("/fail");

    let task = json(&mut client, &format!("api/tasks/{ok}"));
    assert_eq!(
        (&task["state"], &task["label"]),
        (&"succeeded".into(), &"welcome email".into())
    );
    let task = json(&mut client, &format!("api/tasks/{failed}"));
    assert_eq!(task["state"], "failed");
    assert_eq!(task["error"], "smtp refused: mailbox full");
    let snapshot = json(&mut client, "api/snapshot");
    let paths: Vec<&str> = snapshot["queues"]
        .as_array()
        .expect("queues")
        .iter()
        .filter_map(|queue| queue["path"].as_str())
        .collect();
    assert_eq!(paths, ["/ok", "/fail"]);
    assert_eq!(snapshot["counts"]["failed"], 1);
}

/// C26: the live stream sends what happens after it opened, and a stream resumed with
/// `Last-Event-ID` starts from there.
pub fn c26_the_live_stream_sends_later_requests_and_resumes<H: HttpHarness>() {
    let harness = H::new();
    let reports = Reports::default();
    let addr = serve_app(&harness, observed_app(&harness, &reports));
    let mut client = Client::connect(addr);
    let before = id_of(&mut client, "/ok");
    reports.take("/ok");

    let mut stream = Client::connect(addr);
    stream.send("GET", &format!("{PREFIX}api/events"));
    let head = stream.read_head();
    assert_eq!(
        (head.status, head.header("content-type")),
        (200, Some("text/event-stream"))
    );
    let (first, _) = read_event_until(&mut stream, "welcome email");
    let failed = id_of(&mut client, "/fail");
    let (seen, event) = read_event_until(&mut stream, "smtp refused: mailbox full");
    assert!(seen > first && event.contains(&failed.to_string()));
    drop(stream);

    // What happened while no stream was open comes first on the resumed one, and only that.
    let missed = id_of(&mut client, "/ok");
    reports.take("/ok");
    let mut resumed = Client::connect(addr);
    let last = seen.to_string();
    resumed.send_with_headers(
        "GET",
        &format!("{PREFIX}api/events"),
        &[("last-event-id", &last)],
    );
    assert_eq!(resumed.read_head().status, 200);
    let first = String::from_utf8(resumed.read_chunk()).expect("UTF-8 events");
    assert!(
        first.contains(&format!("\"{missed}\"")),
        "resumed after {seen}: {first}"
    );
    assert!(
        !first.contains(&format!("\"{before}\"")),
        "resumed after {seen}: {first}"
    );
}

/// Reads events until one carries `needle`; its id and text.
fn read_event_until(stream: &mut Client, needle: &str) -> (u64, String) {
    let mut id = 0;
    loop {
        let chunk = String::from_utf8(stream.read_chunk()).expect("UTF-8 events");
        for line in chunk.lines() {
            if let Some(value) = line.strip_prefix("id: ") {
                id = value.parse().expect("a numeric event id");
            }
        }
        if chunk.contains(needle) {
            return (id, chunk);
        }
    }
}

/// C26: a cancel needs admin access: read-only gets `403` and the task still runs; admin takes a
/// waiting task out, and it is reported discarded.
pub fn c26_only_admin_cancels_a_waiting_task<H: HttpHarness>() {
    let harness = H::new();
    let reports = Reports::default();
    let (release, held) = std::sync::mpsc::channel::<()>();
    let held = Arc::new(Mutex::new(held));
    let queued: Arc<Mutex<Option<TaskId>>> = Arc::default();
    let runner = Runner::new(harness.executor()).observe(Observer::new(100));
    let page = StatusPage::new(&runner)
        .expect("observed")
        .access(|caller| match caller.header("x-status-access") {
            Some("admin") => Access::Admin,
            _ => Access::ReadOnly,
        });
    let slot = Arc::clone(&queued);
    let app = App::new(&reports, move |_: &RequestView, tasks: &BackgroundTasks| {
        let held = Arc::clone(&held);
        // Holds the queue on its first task until the check releases it (a blocking-pool thread).
        tasks.add(Task::sync(move || held.lock().unwrap().recv()).with_label("held"));
        let id = tasks
            .add_with_id(Task::sync(|| ()).with_label("behind"))
            .expect("observed");
        *slot.lock().unwrap() = Some(id);
        Reply::text("queued").into()
    })
    .runner(runner.clone())
    .status_page(PREFIX, page);
    let addr = serve_app(&harness, app);
    let mut client = Client::connect(addr);
    let (head, _) = client.request("GET", "/hold");
    assert_eq!(head.status, 200);
    let id = queued.lock().unwrap().expect("the handler queued it");
    let cancel = format!("{PREFIX}api/tasks/{id}/cancel");

    client.send("POST", &cancel);
    assert_eq!(client.read_head().status, 403, "read-only may not cancel");
    let mut admin = Client::connect(addr);
    admin.send_with_headers("POST", &cancel, &[("x-status-access", "admin")]);
    let head = admin.read_head();
    assert_eq!(head.status, 200, "admin cancels a waiting task");
    release.send(()).expect("the held task waits");
    let report = reports.take("/hold");
    let outcomes: Vec<_> = report
        .run()
        .tasks()
        .iter()
        .map(|t| t.outcome.clone())
        .collect();
    assert_eq!(
        outcomes,
        [
            background_tasks::Outcome::Discarded,
            background_tasks::Outcome::Succeeded
        ],
        "the cancel is reported where it happened, the held task after it"
    );
    assert_eq!(runner.metrics().discarded, 1);
}
