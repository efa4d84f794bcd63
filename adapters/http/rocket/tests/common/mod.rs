//! What only these tests need: a Rocket app served on 127.0.0.1 on a tokio runtime the test
//! owns, until the test shuts it down. The client, the event log and the reports are the
//! conformance suite's.

// Each test binary uses a part of this module.
#![allow(dead_code)]

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::mpsc;

use background_tasks::ShutdownReport;
use background_tasks_conformance::http::WAIT_LIMIT;
use background_tasks_tokio::TokioExecutor;
use rocket::fairing::AdHoc;
use rocket::{Build, Rocket, Shutdown};

/// A tokio runtime of one async worker, as the suite's harness has.
pub(crate) fn runtime() -> rocket::tokio::runtime::Runtime {
    rocket::tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

/// Rocket on a free port of 127.0.0.1, quiet, no signal handling.
pub(crate) fn quiet_rocket() -> Rocket<Build> {
    let mut config = rocket::Config::debug_default();
    config.address = Ipv4Addr::LOCALHOST.into();
    config.port = 0;
    config.log_level = rocket::config::LogLevel::Off;
    config.cli_colors = false;
    config.shutdown.ctrlc = false;
    #[cfg(unix)]
    config.shutdown.signals.clear();
    config.shutdown.grace = 1;
    config.shutdown.mercy = 1;
    rocket::custom(config)
}

/// A launched Rocket: its address, its shutdown handle, and what `launch` (or `run`) returned.
pub(crate) struct Launched<T> {
    pub(crate) addr: SocketAddr,
    pub(crate) shutdown: Shutdown,
    pub(crate) finished: mpsc::Receiver<T>,
}

/// Launches `rocket` on `runtime` through `serve` (its `launch`, or `background_tasks_rocket::run`),
/// and waits for its liftoff.
pub(crate) fn launch<T, F, Fut>(
    runtime: &rocket::tokio::runtime::Runtime,
    rocket: Rocket<Build>,
    serve: F,
) -> Launched<T>
where
    F: FnOnce(Rocket<Build>) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let (lifted, liftoff) = mpsc::channel();
    let rocket = rocket.attach(AdHoc::on_liftoff("liftoff", move |rocket| {
        let lifted = lifted.clone();
        let ready = (
            SocketAddr::from((rocket.config().address, rocket.config().port)),
            rocket.shutdown(),
        );
        Box::pin(async move {
            let _ = lifted.send(ready);
        })
    }));
    let serving = serve(rocket);
    let (finished, finished_rx) = mpsc::channel();
    runtime.spawn(async move {
        let _ = finished.send(serving.await);
    });
    let (addr, shutdown) = liftoff.recv_timeout(WAIT_LIMIT).expect("Rocket lifts off");
    Launched {
        addr,
        shutdown,
        finished: finished_rx,
    }
}

/// `background_tasks_rocket::run`'s result, as the tests read it.
pub(crate) type Ran = Result<ShutdownReport, String>;

/// Keeps `TokioExecutor` in every test binary's imports.
pub(crate) fn executor(runtime: &rocket::tokio::runtime::Runtime) -> TokioExecutor {
    TokioExecutor::from_handle(runtime.handle().clone())
}
