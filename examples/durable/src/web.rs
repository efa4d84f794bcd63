//! The web server: FastAPI's `POST /send-notification/{email}`, with the notification as a job.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use background_tasks::{BackgroundTasks, Executor};
use background_tasks_apalis::{AddJob, Jobs};
use background_tasks_example_support::{SHUTDOWN_DEADLINE, shutdown_summary};
use background_tasks_server::{self as server, TokioIncoming};
use background_tasks_smol::SmolExecutor;
use background_tasks_tokio::TokioExecutor;
use background_tasks_tower::BackgroundTasksLayer;
use futures_core::Stream;
use futures_io::{AsyncRead, AsyncWrite};
use serde::Deserialize;

use crate::{DurableSettings, Store, WriteNotification};

fn json(status: StatusCode, body: &'static str) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// `POST /send-notification/{email}`: queues a [`WriteNotification`] job and answers
/// `{"message":"Notification sent in the background"}`; the job is pushed after the response.
async fn send_notification(
    State(jobs): State<Arc<Jobs<WriteNotification>>>,
    Path(email): Path<String>,
    tasks: BackgroundTasks,
) -> Response {
    tasks.add_job(
        &jobs,
        WriteNotification {
            email,
            message: "some notification".to_owned(),
        },
    );
    json(
        StatusCode::OK,
        r#"{"message":"Notification sent in the background"}"#,
    )
}

#[derive(Debug, Deserialize)]
struct Emails {
    emails: String,
}

/// `POST /send-notifications?emails=a@x,b@y`: one job per address, pushed in that order.
async fn send_notifications(
    State(jobs): State<Arc<Jobs<WriteNotification>>>,
    Query(Emails { emails }): Query<Emails>,
    tasks: BackgroundTasks,
) -> Response {
    let emails: Vec<&str> = emails.split(',').filter(|e| !e.is_empty()).collect();
    if emails.is_empty() {
        return json(
            StatusCode::BAD_REQUEST,
            r#"{"detail":"emails must list at least one address, comma-separated"}"#,
        );
    }
    for email in emails {
        tasks.add_job(
            &jobs,
            WriteNotification {
                email: email.to_owned(),
                message: "some notification".to_owned(),
            },
        );
    }
    json(
        StatusCode::OK,
        r#"{"message":"Notifications sent in the background"}"#,
    )
}

/// The routes, queueing on `jobs`; the caller adds the [`BackgroundTasksLayer`].
pub fn app(jobs: Jobs<WriteNotification>) -> Router {
    Router::new()
        .route("/send-notification/{email}", post(send_notification))
        .route("/send-notifications", post(send_notifications))
        .with_state(Arc::new(jobs))
}

/// Serves on tokio until Ctrl-C or SIGTERM, then stops accepting, finishes the responses in
/// flight, and waits (up to [`SHUTDOWN_DEADLINE`]) for their jobs to be pushed, printing what
/// happened.
///
/// Prints `listening on http://{addr}` once bound, so that a script can read the port.
///
/// # Errors
///
/// When the address cannot be bound or the server fails.
pub async fn serve(settings: &DurableSettings, store: &Store) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(settings.example.addr).await?;
    let addr = listener.local_addr()?;
    serve_on(
        settings,
        store,
        TokioExecutor::new(),
        addr,
        TokioIncoming::new(listener),
    )
    .await
}

/// As [`serve`], on smol: its listener, its global executor for the app and the pusher, and the
/// storages' async-io flavour (apalis-sqlite's and apalis-postgres's `async-std-comp`,
/// apalis-redis's `smol-comp`). Run it from `smol::block_on`, with no tokio runtime current.
///
/// # Errors
///
/// When the address cannot be bound or the server fails.
pub async fn serve_smol(settings: &DurableSettings, store: &Store) -> std::io::Result<()> {
    let listener = smol::net::TcpListener::bind(settings.example.addr).await?;
    let addr = listener.local_addr()?;
    serve_on(
        settings,
        store,
        SmolExecutor::new(),
        addr,
        listener.incoming(),
    )
    .await
}

/// What both runtimes share: the app behind the layer on `executor`, served from `incoming`
/// (bound at `addr`) with the header-read timeout, until SIGTERM; then the drain.
async fn serve_on<E, I, IO>(
    settings: &DurableSettings,
    store: &Store,
    executor: E,
    addr: SocketAddr,
    incoming: I,
) -> std::io::Result<()>
where
    E: Executor + Clone,
    I: Stream<Item = std::io::Result<IO>>,
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let jobs = store.jobs(settings, &executor);
    let layer = BackgroundTasksLayer::new(executor.clone());
    let runner = layer.runner().clone();
    println!(
        "listening on http://{addr} ({} at {})",
        store.name(),
        settings.database_url
    );
    // As the other examples serve: a header-read timeout (axum::serve has none), and SIGTERM.
    server::serve(incoming, app(jobs.clone()).layer(layer), executor)
        .header_read_timeout(settings.example.header_read_timeout)
        .with_graceful_shutdown(server::shutdown_signal()?)
        .await?;
    let report = runner.shutdown(SHUTDOWN_DEADLINE).await;
    let stats = jobs.stats();
    println!("{}", shutdown_summary(&report));
    println!(
        "jobs pushed: {} in {} commits (largest {}), {} failed",
        stats.pushed, stats.batches, stats.largest_batch, stats.failed
    );
    Ok(())
}
