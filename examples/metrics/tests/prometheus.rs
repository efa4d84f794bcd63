//! C25: after a known workload, what Prometheus scrapes from `GET /metrics` over real HTTP equals
//! the runner's own counters: 10 notifications written, then 5 that fail because the log's
//! directory is gone.

use std::collections::HashMap;

use background_tasks_conformance::http::Client;
use background_tasks_example_metrics::{app, install_recorder};
use background_tasks_example_support::client::{Replies, TestServer};
use background_tasks_tokio::TokioExecutor;

const WRITTEN: u64 = 10;
const FAILED: u64 = 5;

#[test]
fn c25_scraped_metrics_match_the_runners_counters() {
    let metrics = install_recorder().expect("the only recorder of this test process");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let executor = TokioExecutor::from_handle(runtime.handle().clone());
    let mut runner = None;
    let server = TestServer::start(
        "metrics",
        |_| {},
        executor,
        |settings, layer| {
            runner = Some(layer.runner().clone());
            let app = app(settings, layer, metrics);
            let listener = runtime
                .block_on(tokio::net::TcpListener::bind(settings.addr))
                .unwrap();
            let addr = listener.local_addr().unwrap();
            let settings = settings.clone();
            runtime.spawn(async move {
                background_tasks_example_axum::serve(&settings, listener, app).await
            });
            addr
        },
    );
    let runner = runner.expect("the server was started");

    let mut client = server.client();
    let notify = |client: &mut Client, i: u64| {
        let reply = client.reply("POST", &format!("/send-notification/user{i}@example.com"));
        assert_eq!(reply.status, 200, "{reply:?}");
    };
    for i in 0..WRITTEN {
        notify(&mut client, i);
    }
    runtime.block_on(runner.idle());
    // The log's directory disappears: every later write fails, and is reported.
    let dir = server.settings.log_file.parent().unwrap().to_owned();
    std::fs::remove_dir_all(&dir).unwrap();
    for i in WRITTEN..WRITTEN + FAILED {
        notify(&mut client, i);
    }
    runtime.block_on(runner.idle());

    let reply = client.reply("GET", "/metrics");
    assert_eq!(reply.status, 200);
    let scraped = samples(&reply.body);
    let counters = runner.metrics();
    assert_eq!(
        (counters.queued, counters.succeeded, counters.failed),
        (WRITTEN + FAILED, WRITTEN, FAILED)
    );
    let expected = [
        ("background_tasks_queued_total", counters.queued),
        (
            r#"background_tasks_settled_total{outcome="succeeded"}"#,
            counters.succeeded,
        ),
        (
            r#"background_tasks_settled_total{outcome="failed"}"#,
            counters.failed,
        ),
        ("background_tasks_running_queues", counters.running),
        ("background_tasks_waiting_queues", counters.waiting),
    ];
    for (sample, value) in expected {
        assert_eq!(
            scraped.get(sample).copied(),
            Some(value as f64),
            "{sample}; scraped:\n{}",
            reply.body
        );
    }
    // One duration per task that ran, labelled with the task and its kind.
    let durations: f64 = scraped
        .iter()
        .filter(|(name, _)| {
            name.starts_with("background_tasks_task_duration_seconds_count{")
                && name.contains(r#"kind="sync""#)
                && name.contains(r#"task=""#)
        })
        .map(|(_, value)| value)
        .sum();
    assert_eq!(durations, (WRITTEN + FAILED) as f64, "{}", reply.body);
}

/// The samples of a Prometheus text exposition: `name{labels}` to value.
fn samples(text: &str) -> HashMap<String, f64> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .filter_map(|line| {
            let (name, value) = line.rsplit_once(' ')?;
            Some((name.to_owned(), value.parse().ok()?))
        })
        .collect()
}
