//! The example as a user runs it, on its default storage: `durable_web` and `durable_worker` as
//! two processes sharing a SQLite file, FastAPI's request, the worker's line in `log.txt`.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use background_tasks_apalis_test_servers::TempDir;
use background_tasks_conformance::http::Client;
use background_tasks_example_support::client::Replies;
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
    let bad = client.reply("POST", "/send-notifications?emails=");
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

/// C24 on the durable web server, as on the other examples: a client that never finishes its
/// request headers is cut after the header-read timeout.
#[test]
fn c24_the_web_server_cuts_clients_that_never_finish_their_headers() {
    let dir = TempDir::new("background-tasks-durable-slow");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("jobs.db").display());
    let log_file = dir.path().join("log.txt");
    let setup = Setup {
        url: &url,
        log_file: &log_file,
    };
    let timeout = Duration::from_secs(1);
    let (web, addr) = setup.web_with("web", |command| {
        command.env(
            "EXAMPLE_HEADER_READ_TIMEOUT_MS",
            timeout.as_millis().to_string(),
        );
    });

    let opened = Instant::now();
    let mut slow = TcpStream::connect(addr).unwrap();
    slow.write_all(b"POST /send-notification/ada@example.com HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    // A failure bound only: the server must close the connection well before it.
    slow.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let closed = match slow.read(&mut [0; 256]) {
        Ok(0) => true,
        Ok(_) => false,
        Err(error) => error.kind() == std::io::ErrorKind::ConnectionReset,
    };
    let waited = opened.elapsed();
    assert!(
        closed,
        "the slow client was still connected after {waited:?}"
    );
    assert!(
        waited >= timeout,
        "cut after {waited:?}, before the timeout"
    );

    web.signal("-TERM");
    assert!(web.wait_output().contains("background tasks drained"));
}

/// The worker writes what a client sent with its control characters escaped: no forged lines.
#[test]
fn write_notification_escapes_control_characters() {
    let dir = TempDir::new("background-tasks-durable-escape");
    let log_file = dir.path().join("log.txt");
    background_tasks_example_durable::write_notification(
        &log_file,
        "a\nb\0@x",
        "some notification",
    )
    .unwrap();
    assert_eq!(
        std::fs::read_to_string(&log_file).unwrap(),
        "notification for a\\nb\\0@x: some notification\n"
    );
}
