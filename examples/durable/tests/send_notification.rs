//! The example as a user runs it, on its default storage: `durable_web` and `durable_worker` as
//! two processes sharing a SQLite file, FastAPI's request, the worker's line in `log.txt`.

mod common;

use std::time::{Duration, Instant};

use background_tasks_apalis_test_servers::TempDir;
use background_tasks_example_support::client::Client;
use common::{PATIENCE, Setup, runs};

#[test]
fn c22_send_notification_on_sqlite_across_two_processes() {
    let dir = TempDir::new("background-tasks-durable-sqlite");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("jobs.db").display());
    let log_file = dir.path().join("log.txt");
    let setup = Setup {
        url: &url,
        log_file: &log_file,
    };
    let (web, addr) = setup.web("web");
    let worker = setup.worker("worker", 0);

    let mut client = Client::connect(addr);
    client.post_ok(
        "/send-notification/ada@example.com",
        r#"{"message":"Notification sent in the background"}"#,
    );
    let bad = client.request("POST", "/send-notifications?emails=");
    assert_eq!(bad.status, 400, "{bad:?}");
    assert!(bad.body.contains("at least one address"), "{bad:?}");

    // Picked up by polling (100 ms by default), not at the next 2 s heartbeat.
    let sent = Instant::now();
    while !runs(&log_file).contains_key("ada@example.com") {
        assert!(sent.elapsed() < PATIENCE, "the worker never ran the job");
        std::thread::sleep(Duration::from_millis(10));
    }
    println!("job ran {:.2?} after the response", sent.elapsed());
    assert_eq!(
        std::fs::read_to_string(&log_file).unwrap(),
        "notification for ada@example.com: some notification\n"
    );

    web.signal("-TERM");
    worker.signal("-TERM");
    let web = web.wait_output();
    assert!(
        web.contains("background tasks drained: 1 queued, 1 succeeded"),
        "{web}"
    );
    assert!(web.contains("jobs pushed: 1 in 1 commits"), "{web}");
    assert!(worker.wait_output().contains("stopped"));
}
