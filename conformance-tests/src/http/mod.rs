//! The HTTP suite (feature `http`): a framework's integration served on the runtime under test,
//! over real TCP on 127.0.0.1, talked to by a real client.
//!
//! The executor checks in [`checks`](crate::checks) prove that a queue runs correctly once it is
//! handed over; these prove *when* the integration hands it over and what the client sees
//! meanwhile (C1, C8 to C12), for every framework (C23). Every check describes what it serves as
//! data, an [`App`]: the settings under test, what the handler (and a dependency) queues, how it
//! answers (a [`Reply`] with a body of one of the suite's kinds, a file, a panic, a handler that
//! never answers), and whether a compressor sits inside or outside the integration. A
//! [`TowerHarness`] serves it as `BackgroundTasksLayer::new(executor)` around a small
//! `tower::service_fn` router ([`tower_service`]); an [`HttpHarness`] of another framework builds
//! it with that framework's own integration (actix-web's in `background-tasks-actix`). The client
//! and the checks are the same everywhere; only the framework, the server and the executor change,
//! so a check that passes on tokio and fails on smol points at the smol side.
//!
//! Ordering is read off a server-side [`Events`] log (a handler ran, a body ended, a task
//! started), and the layer's [`RequestReport`](background_tasks_tower::RequestReport)s are
//! collected by [`Reports`]. Nothing sleeps: a check waits for an event, and every wait has a
//! failure bound ([`WAIT_LIMIT`]) so a broken layer fails instead of hanging.
//!
//! Three checks put the whole stack under load: 2,000 requests (`HttpHarness::LOAD_REQUESTS`;
//! 20,000 on one reference harness) over 64 keep-alive connections
//! with failing and panicking tasks and clients hanging up mid-body, every task accounted for
//! exactly once (`c14_every_task_runs_exactly_once_under_load`); and a graceful shutdown while
//! queues run and wait behind `max_running`, with a generous deadline and with one that passes
//! (`c16_shutdown_under_load_*`). Their work is drawn from a fixed seed, so a failure replays.
//!
//! # Examples
//!
//! In your crate's `tests/conformance.rs`, next to [`conformance_suite!`](crate::conformance_suite):
//!
//! ```
//! use background_tasks_conformance::http::{HttpService, TowerHarness};
//! use background_tasks_conformance::framework_http_conformance_suite;
//! # use std::sync::Mutex;
//! # use background_tasks_conformance::Harness;
//! # use background_tasks_smol::SmolExecutor;
//! # // Your runtime; smol's global executor stands in for it here.
//! # #[derive(Default)] struct MyRuntime { servers: Mutex<Vec<smol::Task<()>>> }
//! # impl MyRuntime {
//! #     fn spawn_until_dropped(&self, server: impl std::future::Future + Send + 'static) {
//! #         self.servers.lock().unwrap().push(smol::spawn(async move { let _ = server.await; }));
//! #     }
//! # }
//! # impl Harness for MyRuntime {
//! #     type Executor = SmolExecutor;
//! #     fn new() -> Self { Self::default() }
//! #     fn executor(&self) -> SmolExecutor { SmolExecutor::new() }
//! #     fn block_on<F: std::future::Future>(&self, f: F) -> F::Output { smol::block_on(f) }
//! # }
//!
//! impl TowerHarness for MyRuntime {
//!     fn serve(&self, listener: std::net::TcpListener, service: HttpService) {
//!         let listener = smol::net::TcpListener::try_from(listener).unwrap();
//!         let executor = self.executor();
//!         self.spawn_until_dropped(async move {
//!             let incoming = listener.incoming(); // borrows the listener: both move in
//!             background_tasks_server::serve(incoming, service, executor).await
//!         });
//!     }
//! }
//!
//! framework_http_conformance_suite!(my_runtime_http, MyRuntime);
//! # fn main() {}
//! ```

mod app;
mod body;
pub mod checks;
mod client;
mod events;
mod harness;
mod load;

pub use app::{
    Action, App, Compression, Dependency, Handler, Reply, ReplyBody, ReportHook, RequestView,
    deliberate_panic, tower_service,
};
pub use body::{Chunks, EventStream};
pub use client::{Client, Head};
pub use events::{Events, Reports, WAIT_LIMIT};
pub use harness::{
    HttpBody, HttpHarness, HttpService, TowerHarness, boxed_service, local_listener,
};
pub use load::{LOAD_REQUESTS, REFERENCE_LOAD_REQUESTS};
