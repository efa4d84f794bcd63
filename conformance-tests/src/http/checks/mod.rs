//! The HTTP checks, one public function per behaviour, named after the contract clause it proves.
//! Each builds a fresh runtime with [`Harness::new`](crate::Harness::new), serves an app of its
//! own, and talks to it with a [`Client`] over TCP.
//!
//! Each describes its app as data, an [`App`] (the integration's settings, what the handler
//! queues, how it answers), and take any [`HttpHarness`]: each framework builds the app its own
//! way, with its own integration (tower's `BackgroundTasksLayer` for every [`TowerHarness`](crate::http::TowerHarness),
//! actix-web's `BackgroundTasksMiddleware`), a file with its own file server and compression with
//! its own compressor. [`framework_http_conformance_suite!`](crate::framework_http_conformance_suite)
//! runs them all.
//!
//! Where a check must show that something has *not* happened yet (no task started while a
//! response is half-sent), it first proves that background work is flowing: a request on another
//! connection queues a task, and the check waits until that task has run. A task that the layer
//! started too early has by then had every chance to run as well.
//!
//! They are written in modules by clause group (the queue, after the response, the connection,
//! disconnects, statuses, the ends of a body, HTTP/2, and the checks under load) and all
//! re-exported here, the one path [`framework_http_conformance_suite!`](crate::framework_http_conformance_suite)
//! calls them by.

mod after_response;
mod connection;
mod disconnect;
mod ends;
mod h2;
mod load;
mod queue;
mod status;
mod statuses;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use background_tasks::{BackgroundTasks, Outcome};
use background_tasks_tower::{Decision, Ending, RequestReport};

use crate::http::{Action, App, Client, Events, HttpHarness, Reply, RequestView, local_listener};

use after_response::{Length, tasks_wait_for_a_held_body};

pub use after_response::{
    c08_chunked_stream_runs_tasks_after_its_end,
    c08_content_length_body_runs_tasks_after_its_last_frame, c08_empty_body_runs_tasks,
    c08_full_body_runs_tasks, c08_head_request_runs_tasks, c08_no_content_runs_tasks,
    c08_paused_client_delays_tasks_until_it_reads_the_rest,
    c09_each_response_is_complete_before_its_tasks_start,
    c16_idle_waits_for_a_response_still_being_sent,
};
pub use connection::c10_waiting_tasks_delay_neither_the_connection_nor_others;
pub use disconnect::{
    c11_client_leaving_mid_body_still_runs_tasks_by_default,
    c11_client_leaving_while_the_handler_works_is_a_disconnect,
    c11_skip_discards_tasks_when_the_client_leaves_mid_body,
};
pub use ends::{
    c08_body_short_of_its_content_length_is_cut_short,
    c08_compressed_body_runs_tasks_after_its_end, c08_event_stream_runs_tasks_after_the_last_event,
    c08_served_file_runs_tasks_after_its_last_byte,
    c08_streamed_body_with_content_length_runs_tasks_after_its_last_byte,
};
pub use h2::{
    c01_h2_dependency_and_handler_tasks_run_in_order, c08_h2_tasks_start_after_the_stream_ends,
};
pub use load::{
    c14_every_task_runs_exactly_once_under_load,
    c16_shutdown_under_load_abandons_exactly_what_never_ran,
    c16_shutdown_under_load_waits_for_every_queue,
};
pub use queue::c01_dependency_and_handler_tasks_run_in_order;
pub use status::{
    c26_a_task_is_looked_up_by_its_id_with_its_outcome, c26_only_admin_cancels_a_waiting_task,
    c26_the_live_stream_sends_later_requests_and_resumes,
};
pub use statuses::{
    c12_error_statuses_run_tasks_by_default, c12_panicking_handler_runs_none_of_its_tasks,
    c12_success_only_discards_tasks_of_error_responses,
};

const CHUNK: usize = 64 * 1024;

/// 16 MiB: far more than the small socket buffers and hyper's write buffer hold between them, so
/// that a client that stops half-way really holds the rest of the body back.
const BIG_CHUNKS: usize = 256;

/// Serves `app` with the harness's framework and returns its address.
pub(crate) fn serve_app<H: HttpHarness>(harness: &H, app: App<H::Executor>) -> SocketAddr {
    let listener = local_listener();
    let addr = listener.local_addr().expect("the listener's address");
    harness.serve_app(listener, app);
    addr
}

/// Any path a check does not route: queues a task that logs `"{path} task ran"`.
pub(super) fn probe(request: &RequestView, tasks: &BackgroundTasks, events: &Events) -> Action {
    let (events, ran) = (events.clone(), format!("{} task ran", request.path));
    tasks.add_async_task(async move { events.push(ran) });
    Reply::text("probed").into()
}

/// Proves that background work is flowing on the server: a request to `path` on a connection of
/// its own queues a task, and this waits until the task has run.
pub(super) fn prove_tasks_flow(addr: SocketAddr, events: &Events, path: &str) {
    let (head, _) = Client::connect(addr).request("GET", path);
    assert_eq!(head.status, 200, "the probe {path} failed");
    events.wait_for(&format!("{path} task ran"));
}

/// A value that a cloneable handler hands out once (a gate's receiving end, say).
pub(super) struct Slot<T>(Arc<Mutex<Option<T>>>);

impl<T> Slot<T> {
    pub(super) fn new(value: T) -> Self {
        Self(Arc::new(Mutex::new(Some(value))))
    }

    pub(super) fn take(&self) -> T {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take()
            .expect("the check hands this out once")
    }
}

impl<T> Clone for Slot<T> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

pub(super) fn assert_ran(report: &RequestReport, status: u16) {
    assert_eq!(
        (
            report.status().map(|s| s.as_u16()),
            report.ending(),
            report.decision()
        ),
        (Some(status), Ending::Completed, Decision::Ran),
        "{report:?}"
    );
    assert!(report.run().is_success(), "{report:?}");
}

pub(super) fn outcomes(report: &RequestReport) -> Vec<Outcome> {
    report
        .run()
        .tasks()
        .iter()
        .map(|t| t.outcome.clone())
        .collect()
}
