//! The conformance suite every background-tasks `Executor` must pass, ours and yours.
//!
//! [`background_tasks::Executor`] is small, but the contract around it is not: FIFO order across
//! sync and async tasks, sync work kept off the async workers, panics contained, failures reported,
//! late tasks never lost. This crate is that contract in executable form, written once and run
//! against every executor: the tokio, smol and async-std adapters run it from their
//! `tests/conformance.rs`, and so can yours.
//!
//! Implement [`Harness`] for your runtime (build it with one async worker, hand out the executor,
//! block on a future), then call [`conformance_suite!`] once. It emits one `#[test]` per check, named
//! after the contract clause it proves (`c04_every_run_matches_the_model`), each under a
//! watchdog, so one failure never hides the rest.
//!
//! # Examples
//!
//! In your crate's `tests/conformance.rs`:
//!
//! ```
//! use background_tasks_conformance::{Harness, conformance_suite};
//! # // Your pool; smol's global executor stands in for it here.
//! # mod my_pool {
//! #     use background_tasks::{BlockingError, BlockingJob, BoxFuture};
//! #     pub struct Pool;
//! #     impl Pool {
//! #         pub fn with_async_workers(_: usize) -> Self { Pool }
//! #         pub fn executor(&self) -> Executor { Executor(background_tasks_smol::SmolExecutor::new()) }
//! #         pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output { smol::block_on(f) }
//! #     }
//! #     #[derive(Debug, Clone)] pub struct Executor(background_tasks_smol::SmolExecutor);
//! #     impl background_tasks::Executor for Executor {
//! #         fn spawn(&self, future: BoxFuture<()>) { self.0.spawn(future) }
//! #         fn spawn_blocking(&self, job: BlockingJob) -> BoxFuture<Result<(), BlockingError>> { self.0.spawn_blocking(job) }
//! #         fn sleep(&self, d: std::time::Duration) -> Option<BoxFuture<()>> { self.0.sleep(d) }
//! #     }
//! # }
//!
//! struct MyRuntime { pool: my_pool::Pool }
//!
//! impl Harness for MyRuntime {
//!     type Executor = my_pool::Executor;
//!     fn new() -> Self { MyRuntime { pool: my_pool::Pool::with_async_workers(1) } }
//!     fn executor(&self) -> Self::Executor { self.pool.executor() }
//!     fn block_on<F: std::future::Future>(&self, future: F) -> F::Output { self.pool.block_on(future) }
//! }
//!
//! conformance_suite!(my_runtime, MyRuntime);
//! # fn main() {}
//! ```
//!
//! The checks are also plain generic functions in [`checks`], for a test that wants one alone.
//!
//! # HTTP
//!
//! With the `http` feature, the `http` module proves the HTTP clauses (C1, C8 to C12) with
//! `background-tasks-tower`'s layer served on your runtime over real TCP, and puts the whole
//! stack under load (thousands of requests with failing tasks and clients hanging up; a shutdown while
//! queues run and wait): implement `http::TowerHarness` (serve a boxed tower service on a listener
//! the suite binds) and call `framework_http_conformance_suite!` once more. A framework that is not built on
//! tower implements `http::HttpHarness` instead (serve a check's `http::App` description with its
//! own integration) and calls `framework_http_conformance_suite!`.

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod checks;
mod doubles;
mod gate;
mod harness;
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub mod http;

pub use doubles::{CancellingExecutor, RecordingExecutor};
pub use harness::{CHECK_LIMIT, Harness, watchdog, yield_now};

/// Emits the whole suite for a [`Harness`] as a module of `#[test]` functions.
///
/// `conformance_suite!(tokio_current_thread, CurrentThread)` creates `mod tokio_current_thread`
/// with one test per check in [`checks`], so a failure names both the runtime and the clause.
#[macro_export]
macro_rules! conformance_suite {
    ($module:ident, $harness:ty) => {
        mod $module {
            // The caller names the harness as it sees it (`MyRuntime`, not `super::MyRuntime`).
            #[allow(unused_imports)]
            use super::*;
            $crate::__tests! {
                $harness;
                c01_clones_share_one_queue,
                c02_sync_and_async_tasks_return_unit_or_result,
                c03_a_queue_of_100000_tasks_runs_in_order_with_one_report_each,
                c04_one_task_at_a_time,
                c04_a_queue_runs_at_most_once,
                c04_every_run_matches_the_model,
                c05_sync_tasks_run_off_the_async_worker,
                c05_blocking_sync_task_does_not_stall_async_work,
                c05_a_blocked_sync_task_holds_up_no_other_queue,
                c06_consecutive_sync_tasks_share_one_blocking_trip,
                c06_a_queue_of_sync_tasks_is_one_blocking_trip_and_no_spawn,
                c07_tasks_added_while_running_run_after_the_rest,
                c07_task_added_after_the_run_is_refused,
                c14_errors_reach_the_hook_with_label_and_original_error,
                c14_panics_are_contained_and_reported,
                c15_stop_on_error_skips_the_rest,
                c15_continue_on_error_runs_the_rest,
                c20_a_queue_runs_without_http,
                c21_executor_works_as_a_trait_object,
                c21_spawned_futures_run_detached,
                c21_detached_blocking_jobs_run_off_the_async_worker,
                c21_spawn_blocking_returns_a_panic_as_an_error,
                c21_lost_blocking_jobs_report_their_tasks,
                c21_lost_detached_jobs_report_their_tasks,
                c16_shutdown_waits_for_running_and_waiting_queues,
                c16_shutdown_deadline_abandons_what_did_not_start,
                c16_shutdown_deadline_cuts_a_queue_started_on_the_blocking_pool,
                c16_shutdown_refuses_new_work,
                c16_async_tasks_can_stop_at_the_shutdown_deadline,
                c17_max_running_limits_queues_and_drops_none,
                c18_overrunning_tasks_are_reported,
                c19_metrics_account_for_every_task,
            }
        }
    };
}

/// Emits the HTTP checks written against [`http::HttpHarness`], for any framework (feature
/// `http`): the check describes its app as data ([`http::App`]) and the harness serves it with
/// its framework's integration (every [`http::TowerHarness`] is one, through
/// [`http::tower_service`]). This is how C23 is proved for every framework.
///
/// `framework_http_conformance_suite!(actix_http, ActixHarness)` creates `mod actix_http`.
///
/// A framework whose own server cannot meet a check (it never tells the integration that a
/// client left, say) names it under `known_gaps`, with the reason. Such a check is still run, and
/// must fail: its test passes while the gap is there (printing the reason) and fails once the
/// check passes, so the list cannot go stale and no gap is hidden. A name that is not a check does
/// not compile.
///
/// ```ignore
/// framework_http_conformance_suite!(poem_http, PoemHarness, known_gaps: [
///     c11_client_leaving_while_the_handler_works_is_a_disconnect =>
///         "poem's server keeps a handler running after its client left",
/// ]);
/// ```
#[cfg(feature = "http")]
#[macro_export]
macro_rules! framework_http_conformance_suite {
    ($module:ident, $harness:ty) => {
        $crate::framework_http_conformance_suite!($module, $harness, known_gaps: []);
    };
    ($module:ident, $harness:ty, known_gaps: [$($gap:ident => $reason:expr),* $(,)?]) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;
            /// The checks this framework is declared to fail, and why.
            const KNOWN_GAPS: &[(&str, &str)] = &[$((stringify!($gap), $reason)),*];

            /// A known gap that names no check does not compile.
            #[allow(dead_code)]
            fn known_gaps_are_checks() {
                $(let _: fn() = $crate::http::checks::$gap::<$harness>;)*
            }

            $crate::__http_framework_checks!($harness);
        }
    };
}

/// Runs the HTTP check `name` under the watchdog; if `known_gaps` names it, the check must fail
/// instead (see [`framework_http_conformance_suite!`]).
///
/// # Panics
///
/// When the check fails, or when a check declared a known gap passes.
#[cfg(feature = "http")]
#[doc(hidden)]
pub fn __run_http_check(name: &str, known_gaps: &[(&str, &str)], check: fn()) {
    let Some((_, reason)) = known_gaps.iter().find(|(gap, _)| *gap == name) else {
        return watchdog(CHECK_LIMIT, check);
    };
    let failed = std::panic::catch_unwind(|| watchdog(CHECK_LIMIT, check)).is_err();
    assert!(
        failed,
        "{name} is declared a known gap of this framework ({reason}) but passed: remove it from \
         `known_gaps`"
    );
    eprintln!("{name}: failed, as declared: a known gap of this framework: {reason}");
}

#[cfg(feature = "http")]
#[doc(hidden)]
#[macro_export]
macro_rules! __http_framework_checks {
    ($harness:ty) => {
        $crate::__tests! {
            @http $harness;
            c01_dependency_and_handler_tasks_run_in_order,
            c08_paused_client_delays_tasks_until_it_reads_the_rest,
            c08_content_length_body_runs_tasks_after_its_last_frame,
            c08_chunked_stream_runs_tasks_after_its_end,
            c08_full_body_runs_tasks,
            c08_empty_body_runs_tasks,
            c08_no_content_runs_tasks,
            c08_head_request_runs_tasks,
            c08_streamed_body_with_content_length_runs_tasks_after_its_last_byte,
            c08_body_short_of_its_content_length_is_cut_short,
            c08_event_stream_runs_tasks_after_the_last_event,
            c08_served_file_runs_tasks_after_its_last_byte,
            c08_compressed_body_runs_tasks_after_its_end,
            c01_h2_dependency_and_handler_tasks_run_in_order,
            c08_h2_tasks_start_after_the_stream_ends,
            c09_each_response_is_complete_before_its_tasks_start,
            c16_idle_waits_for_a_response_still_being_sent,
            c10_waiting_tasks_delay_neither_the_connection_nor_others,
            c11_client_leaving_mid_body_still_runs_tasks_by_default,
            c11_skip_discards_tasks_when_the_client_leaves_mid_body,
            c11_client_leaving_while_the_handler_works_is_a_disconnect,
            c12_error_statuses_run_tasks_by_default,
            c12_success_only_discards_tasks_of_error_responses,
            c12_panicking_handler_runs_none_of_its_tasks,
            c14_every_task_runs_exactly_once_under_load,
            c16_shutdown_under_load_waits_for_every_queue,
            c16_shutdown_under_load_abandons_exactly_what_never_ran,
            c26_a_task_is_looked_up_by_its_id_with_its_outcome,
            c26_the_live_stream_sends_later_requests_and_resumes,
            c26_only_admin_cancels_a_waiting_task,
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __tests {
    // Listed first: a plain call's first token is a type, never `@`, so it falls through.
    (@http $harness:ty; $($check:ident),* $(,)?) => {
        $(
            #[test]
            fn $check() {
                $crate::__run_http_check(
                    stringify!($check),
                    KNOWN_GAPS,
                    $crate::http::checks::$check::<$harness>,
                );
            }
        )*
    };
    ($harness:ty; $($check:ident),* $(,)?) => {
        $(
            #[test]
            fn $check() {
                $crate::watchdog($crate::CHECK_LIMIT, $crate::checks::$check::<$harness>);
            }
        )*
    };
}
