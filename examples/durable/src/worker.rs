//! The worker: an apalis worker that runs [`WriteNotification`] jobs from the storage.

use std::error::Error;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use apalis::prelude::*;
use background_tasks_apalis::redis::{DEFAULT_CHUNK, promote_due};

use crate::store::redis_config;
use crate::{DurableSettings, Store, WriteNotification, shutdown_signal, write_notification};

/// What every job needs from the worker's settings.
#[derive(Debug)]
struct JobContext {
    log_file: PathBuf,
    delay: Duration,
}

/// Runs one job: FastAPI's `write_notification`, on tokio's blocking pool (it does file I/O).
async fn run_job(
    job: WriteNotification,
    context: Data<Arc<JobContext>>,
) -> Result<(), BoxDynError> {
    if !context.delay.is_zero() {
        tokio::time::sleep(context.delay).await;
    }
    let log_file = context.log_file.clone();
    tokio::task::spawn_blocking(move || write_notification(&log_file, &job.email, &job.message))
        .await??;
    Ok(())
}

/// Runs a worker on `store` until Ctrl-C or SIGTERM, then lets the jobs in flight finish.
///
/// # Errors
///
/// When a worker stops on a storage error (the monitor's report names it).
pub async fn run(settings: &DurableSettings, store: &Store) -> Result<(), Box<dyn Error>> {
    let context = Arc::new(JobContext {
        log_file: settings.example.log_file.clone(),
        delay: settings.job_delay,
    });
    let (name, concurrency, poll) = (
        settings.worker_name.clone(),
        settings.concurrency,
        settings.poll_interval,
    );
    println!(
        "worker {name} on {}: {concurrency} at a time, heartbeat {:?}, re-queued after {} missed",
        store.name(),
        settings.heartbeat,
        settings.missed_heartbeats
    );
    // apalis ends a worker whose storage failed as if it had finished; say so, and fail.
    let signalled = Arc::new(AtomicBool::new(false));
    // The same worker on each storage; only the backend, and how it learns of new jobs, differ.
    // `$backend` makes a fresh backend for each (re)start of the worker.
    macro_rules! worker {
        ($backend:expr) => {{
            let context = context.clone();
            let name = name.clone();
            let backend = $backend;
            let signalled = signalled.clone();
            Monitor::new()
                .shutdown_timeout(Duration::from_secs(30))
                .on_event(|worker, event| {
                    if let Event::Error(error) = event {
                        eprintln!("worker {}: {error}", worker.name());
                    }
                })
                .register(move |_restarts| {
                    WorkerBuilder::new(name.clone())
                        .backend(backend())
                        .data(context.clone())
                        .concurrency(concurrency)
                        .retry(RetryPolicy::retries(5))
                        .catch_panic()
                        .build(run_job)
                })
                .run_with_signal(async move {
                    shutdown_signal().await;
                    signalled.store(true, Ordering::Relaxed);
                    Ok(())
                })
                .await?;
        }};
    }
    match store {
        // Without a poll interval, a worker learns of jobs pushed by another process only at its
        // next heartbeat.
        Store::Sqlite(_) => {
            let (store, settings) = (store.clone(), settings.clone());
            worker!(move || store.sqlite(&settings).poll_with_interval(poll))
        }
        // LISTEN/NOTIFY: woken within milliseconds of a commit.
        Store::Postgres(_) => {
            let (store, settings) = (store.clone(), settings.clone());
            worker!(move || store.postgres(&settings).with_pubsub())
        }
        Store::Redis(conn) => {
            let (store, settings) = (store.clone(), settings.clone());
            if !settings.redis_promote {
                worker!(move || store.redis(&settings).poll_with_interval(poll));
            } else {
                let config = redis_config(&settings);
                // apalis-redis's fetch fails on a backlog of more than ~8,000 due jobs; promote them
                // in bounded chunks before the first fetch, then keep the due list short.
                let mut promoter = conn.clone();
                let moved = promote_due(&mut promoter, &config, DEFAULT_CHUNK).await?;
                if moved > 0 {
                    println!("worker {name}: moved a backlog of {moved} due jobs to the work list");
                }
                let promoting = tokio::spawn(async move {
                    loop {
                        tokio::time::sleep(poll / 2).await;
                        if let Err(error) = promote_due(&mut promoter, &config, DEFAULT_CHUNK).await
                        {
                            eprintln!("worker: promoting due jobs failed (will retry): {error}");
                        }
                    }
                });
                worker!(move || store.redis(&settings).poll_with_interval(poll));
                promoting.abort();
            }
        }
    }
    if !signalled.load(Ordering::Relaxed) {
        return Err(format!(
            "worker {name} stopped without a shutdown signal: its storage failed (see the errors above)"
        )
        .into());
    }
    println!("worker {name}: stopped");
    Ok(())
}
