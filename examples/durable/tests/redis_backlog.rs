//! A backlog of 10,000 due jobs on Redis: the hazard and its workaround.
//!
//! apalis-redis 1.0 files every pushed job in the queue's scheduled set and its fetch script
//! promotes all due jobs at once with Lua's `unpack`, which fails past ~8,000 values. This test
//! pushes 10,000 jobs through the bridge with no worker running (pushing is fine: the push script
//! unpacks nothing of that size), shows that a worker without the promoter stops on the backlog,
//! loudly, and that workers with it (the example's default) drain it.

mod common;

use std::collections::HashSet;
use std::process::Stdio;
use std::time::{Duration, Instant};

use background_tasks_apalis_test_servers::{Redis, TempDir};
use background_tasks_example_durable::{DurableSettings, Store, WriteNotification};
use background_tasks_tokio::TokioExecutor;
use common::{PATIENCE, Setup, runs};

const BACKLOG: usize = 10_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c22_redis_backlog_of_10000_due_jobs() {
    let Some(server) = Redis::start() else {
        return;
    };
    let url = server.url();
    let dir = TempDir::new("background-tasks-redis-backlog");
    let log_file = dir.path().join("log.txt");
    let store = Store::connect(&url).await.unwrap();
    let mut settings = DurableSettings::from_env().unwrap();
    settings.database_url = url.clone();

    // 10,000 jobs through the bridge, no worker running.
    let jobs = store.jobs(&settings, &TokioExecutor::new());
    let mut pushes = tokio::task::JoinSet::new();
    for i in 0..BACKLOG {
        pushes.spawn(jobs.push(WriteNotification {
            email: format!("backlog-{i}@example.com"),
            message: "some notification".to_owned(),
        }));
    }
    while let Some(pushed) = pushes.join_next().await {
        pushed.unwrap().unwrap();
    }
    let stats = jobs.stats();
    assert_eq!(stats.pushed, BACKLOG as u64);
    println!(
        "pushed {BACKLOG} jobs in {} commits (largest {})",
        stats.batches, stats.largest_batch
    );

    let setup = Setup {
        url: &url,
        log_file: &log_file,
    };
    // Without the promoter, apalis-redis's fetch fails on the backlog and the worker stops.
    let bare = setup
        .command(env!("CARGO_BIN_EXE_durable_worker"))
        .env("DURABLE_WORKER_NAME", "bare")
        .env("DURABLE_REDIS_PROMOTE", "off")
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&bare.stderr);
    assert!(
        !bare.status.success() && stderr.contains("unpack"),
        "a worker without the promoter did not stop on the backlog: {} {stderr}",
        bare.status
    );
    println!(
        "without the promoter the worker exits ({}):\n{}",
        bare.status,
        stderr
            .lines()
            .filter(|line| line.contains("unpack") || line.starts_with("durable_worker"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(runs(&log_file).is_empty(), "the bare worker ran jobs");

    // With it, three workers drain the backlog.
    let started = Instant::now();
    let workers: Vec<_> = (0..3)
        .map(|i| setup.worker(&format!("backlog-worker-{i}"), 0))
        .collect();
    let expected: HashSet<String> = (0..BACKLOG)
        .map(|i| format!("backlog-{i}@example.com"))
        .collect();
    loop {
        let ran = runs(&log_file);
        if expected.iter().all(|email| ran.contains_key(email)) {
            break;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "{} of {BACKLOG} backlog jobs ran",
            ran.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!(
        "with the promoter, 3 workers drained {BACKLOG} due jobs in {:.2?}",
        started.elapsed()
    );
    for worker in &workers {
        worker.signal("-TERM");
    }
    for worker in workers {
        let output = worker.wait_output();
        assert!(output.contains("stopped"), "{output}");
    }
}
