//! C22 across runtimes: `durable_web_smol` (the web server on smol, its jobs pushed by a pusher
//! on smol's executor through the storages' async-io flavour) and `durable_worker` (tokio) as two
//! processes on one storage: SQLite, Postgres and Redis. Every job a response promised runs, and
//! SIGTERM drains the smol server's pushes.

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use background_tasks_apalis_test_servers::{Postgres, Redis, TempDir};
use background_tasks_conformance::http::Client;
use background_tasks_example_support::client::Replies;
use common::{PATIENCE, Setup, runs};

/// One request with one job, one with three: four jobs, all promised by a 200.
fn smol_web_with_tokio_worker(url: &str, dir: &TempDir) {
    let log_file = dir.path().join("log.txt");
    let setup = Setup {
        url,
        log_file: &log_file,
    };
    let worker = setup.worker("tokio-worker", 0);
    let (web, addr) = setup.web_smol("smol-web");

    let mut client = Client::connect(addr);
    client.post_ok(
        "/send-notification/ada@example.com",
        r#"{"message":"Notification sent in the background"}"#,
    );
    client.post_ok(
        "/send-notifications?emails=b0@example.com,b1@example.com,b2@example.com",
        r#"{"message":"Notifications sent in the background"}"#,
    );
    let expected: HashSet<String> = [
        "ada@example.com",
        "b0@example.com",
        "b1@example.com",
        "b2@example.com",
    ]
    .map(str::to_owned)
    .into();

    let sent = Instant::now();
    let runs = loop {
        let runs = runs(&log_file);
        if expected.iter().all(|email| runs.contains_key(email)) {
            break runs;
        }
        assert!(
            sent.elapsed() < PATIENCE,
            "the tokio worker did not run every job the smol server pushed: {runs:?}"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(runs.keys().cloned().collect::<HashSet<_>>(), expected);

    web.signal("-TERM");
    worker.signal("-TERM");
    let web = web.wait_output();
    assert!(
        web.contains("background tasks drained: 4 queued, 4 succeeded"),
        "{web}"
    );
    assert!(web.contains("jobs pushed: 4 in"), "{web}");
    assert!(web.contains(", 0 failed"), "{web}");
    assert!(worker.wait_output().contains("stopped"));
}

#[test]
fn c22_smol_web_and_tokio_worker_on_sqlite() {
    let dir = TempDir::new("background-tasks-durable-smol-sqlite");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("jobs.db").display());
    smol_web_with_tokio_worker(&url, &dir);
}

#[test]
fn c22_smol_web_and_tokio_worker_on_postgres() {
    let Some(server) = Postgres::start(&[]) else {
        return;
    };
    let dir = TempDir::new("background-tasks-durable-smol-postgres");
    smol_web_with_tokio_worker(&server.url(), &dir);
}

#[test]
fn c22_smol_web_and_tokio_worker_on_redis() {
    let Some(server) = Redis::start() else {
        return;
    };
    let dir = TempDir::new("background-tasks-durable-smol-redis");
    smol_web_with_tokio_worker(&server.url(), &dir);
}
