//! What only these tests need: an actix-web app served by an `HttpServer` on a thread of its own,
//! on 127.0.0.1, with its background tasks on a tokio runtime the test owns (as an application
//! would own it). The client, the event log and the reports are the conformance suite's.

// Each test binary uses a part of this module.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::mpsc;
use std::thread::JoinHandle;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::Condition;
use actix_web::web::ServiceConfig;
use actix_web::{App, HttpServer};
use background_tasks_actix::BackgroundTasksMiddleware;
use background_tasks_tokio::TokioExecutor;

/// An actix-web server on its own thread (its `System`, its workers), stopped when dropped.
pub(crate) struct ActixServer {
    pub(crate) addr: SocketAddr,
    handle: ServerHandle,
    thread: Option<JoinHandle<()>>,
}

impl ActixServer {
    /// Serves `configure`'s routes behind `middleware` (none: the routes alone) on two workers.
    pub(crate) fn start<C>(
        middleware: Option<BackgroundTasksMiddleware<TokioExecutor>>,
        configure: C,
    ) -> Self
    where
        C: Fn(&mut ServiceConfig) + Clone + Send + 'static,
    {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        Self::spawn(listener, move |listener| {
            let enabled = middleware.is_some();
            let middleware = middleware.unwrap_or_else(|| {
                // Never installed (`Condition` is off); a value of the right type.
                BackgroundTasksMiddleware::new(TokioExecutor::new())
            });
            HttpServer::new(move || {
                App::new()
                    .wrap(Condition::new(enabled, middleware.clone()))
                    .configure(configure.clone())
            })
            .workers(2)
            .disable_signals()
            .listen(listener)
            .unwrap()
            .run()
        })
    }

    /// Runs the server `build` makes on `listener`, in an actix `System` on a thread of its own.
    pub(crate) fn spawn<F>(listener: std::net::TcpListener, build: F) -> Self
    where
        F: FnOnce(std::net::TcpListener) -> Server + Send + 'static,
    {
        let addr = listener.local_addr().unwrap();
        let (started, handle) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = build(listener);
                started.send(server.handle()).unwrap();
                server.await.unwrap();
            });
        });
        Self {
            addr,
            handle: handle.recv().unwrap(),
            thread: Some(thread),
        }
    }
}

impl Drop for ActixServer {
    fn drop(&mut self) {
        futures_lite::future::block_on(self.handle.stop(false));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A tokio runtime for the background tasks, owned by the test as an application owns it.
pub(crate) fn tasks_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}
