//! FastAPI's first example on axum, with the runner's metrics on a Prometheus endpoint.
//!
//! With `background-tasks`'s `metrics` feature, every runner reports to the [`metrics`] facade:
//! `background_tasks_queued_total`, `background_tasks_settled_total{outcome}` (succeeded,
//! failed, panicked, timed_out, skipped, discarded, abandoned), the gauges
//! `background_tasks_waiting_queues` and `background_tasks_running_queues`, and the histogram
//! `background_tasks_task_duration_seconds{task, kind}` of the tasks that ran. Any exporter
//! works; this example installs `metrics-exporter-prometheus`'s recorder and serves its text at
//! `GET /metrics` on the app's own router.
//!
//! Run with `cargo run -p background-tasks-example-metrics --bin metrics_send_notification`, then:
//!
//! ```text
//! curl -X POST http://127.0.0.1:8000/send-notification/ada@example.com
//! curl http://127.0.0.1:8000/metrics
//! ```
//!
//! [`metrics`]: https://docs.rs/metrics

use axum::Router;
use axum::routing::get;
use background_tasks_example_axum::{Settings, send_notification};
use background_tasks_tokio::TokioExecutor;
use background_tasks_tower::BackgroundTasksLayer;
use metrics_exporter_prometheus::{BuildError, PrometheusBuilder, PrometheusHandle};

/// Installs the Prometheus recorder as the process's `metrics` recorder, once.
///
/// # Errors
///
/// When a recorder is already installed.
pub fn install_recorder() -> Result<PrometheusHandle, BuildError> {
    PrometheusBuilder::new().install_recorder()
}

/// The first example's route behind `layer`, and `GET /metrics` rendering `metrics`.
pub fn app(
    settings: &Settings,
    layer: BackgroundTasksLayer<TokioExecutor>,
    metrics: PrometheusHandle,
) -> Router {
    send_notification::app(settings, layer).route(
        "/metrics",
        get(move || {
            let metrics = metrics.clone();
            async move { metrics.render() }
        }),
    )
}
