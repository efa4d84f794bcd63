//! The executor-level checks, one public function per behaviour, named after the contract clause it
//! proves (`c04_…` proves C4). Each builds a fresh runtime with [`Harness::new`].
//!
//! They are written in modules by clause group (the queue, the run, failures, the executor,
//! the lifecycle, and the property test of the whole run against a model) and all re-exported
//! here, the one path [`conformance_suite!`](crate::conformance_suite) calls them by.

mod executor;
mod failure;
mod lifecycle;
mod model;
mod queue;
mod run;

use std::sync::{Arc, Mutex};
use std::thread::ThreadId;

use background_tasks::{BackgroundTasks, Executor, Outcome, RunReport, Runner, TaskError};

use crate::harness::Harness;

pub use executor::{
    c20_a_queue_runs_without_http, c21_detached_blocking_jobs_run_off_the_async_worker,
    c21_executor_works_as_a_trait_object, c21_lost_blocking_jobs_report_their_tasks,
    c21_lost_detached_jobs_report_their_tasks, c21_spawn_blocking_returns_a_panic_as_an_error,
    c21_spawned_futures_run_detached,
};
pub use failure::{
    c14_errors_reach_the_hook_with_label_and_original_error, c14_panics_are_contained_and_reported,
    c15_continue_on_error_runs_the_rest, c15_stop_on_error_skips_the_rest,
};
pub use lifecycle::{
    c16_async_tasks_can_stop_at_the_shutdown_deadline,
    c16_shutdown_deadline_abandons_what_did_not_start,
    c16_shutdown_deadline_cuts_a_queue_started_on_the_blocking_pool, c16_shutdown_refuses_new_work,
    c16_shutdown_waits_for_running_and_waiting_queues,
    c17_max_running_limits_queues_and_drops_none, c18_overrunning_tasks_are_reported,
    c19_metrics_account_for_every_task,
};
pub use model::c04_every_run_matches_the_model;
pub use queue::{
    c01_clones_share_one_queue, c02_sync_and_async_tasks_return_unit_or_result,
    c03_a_queue_of_100000_tasks_runs_in_order_with_one_report_each,
};
pub use run::{
    c04_a_queue_runs_at_most_once, c04_one_task_at_a_time,
    c05_a_blocked_sync_task_holds_up_no_other_queue,
    c05_blocking_sync_task_does_not_stall_async_work, c05_sync_tasks_run_off_the_async_worker,
    c06_a_queue_of_sync_tasks_is_one_blocking_trip_and_no_spawn,
    c06_consecutive_sync_tasks_share_one_blocking_trip, c07_task_added_after_the_run_is_refused,
    c07_tasks_added_while_running_run_after_the_rest,
};

type Log = Arc<Mutex<Vec<String>>>;

fn push(log: &Log, entry: impl Into<String>) {
    log.lock().unwrap().push(entry.into());
}

fn entries(log: &Log) -> Vec<String> {
    log.lock().unwrap().clone()
}

/// Hands the queue to [`Runner::spawn`], as the HTTP layer does, and waits for its report.
fn run_spawned<H: Harness, E: Executor + Clone>(
    harness: &H,
    runner: Runner<E>,
    tasks: BackgroundTasks,
) -> RunReport {
    let (report, reported) = futures_channel::oneshot::channel();
    runner.spawn(tasks, move |run| {
        let _ = report.send(run);
    });
    harness
        .block_on(reported)
        .expect("the run dropped its report instead of delivering it")
}

/// The thread the harness's (one) async worker runs spawned futures on.
fn async_worker<H: Harness>(harness: &H) -> ThreadId {
    let (probe, probed) = futures_channel::oneshot::channel();
    harness.executor().spawn(Box::pin(async move {
        let _ = probe.send(std::thread::current().id());
    }));
    harness.block_on(probed).expect("the probe ran")
}

fn outcomes(report: &RunReport) -> Vec<(String, Outcome)> {
    report
        .tasks()
        .iter()
        .map(|t| (t.label.to_string(), t.outcome.clone()))
        .collect()
}

/// A hook that records `label: error` for every failure it is told about.
fn recording_hook(seen: &Log) -> impl Fn(&str, &TaskError) + Send + Sync + 'static {
    let seen = seen.clone();
    move |label, error| push(&seen, format!("{label}: {error}"))
}
