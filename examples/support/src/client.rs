//! The examples' test harness: a [`TestServer`] (a temporary log file, the layer's reports on a
//! channel), and the responses of the conformance suite's [`Client`] read as text ([`Reply`],
//! [`Replies`]).
//!
//! Each example's `tests/common/mod.rs` serves its app on its own runtime, through
//! [`TestServer::start`] (or, for the hyper examples, `Served`, with the `serve` feature); the
//! tests then talk to it with [`TestServer::client`], the conformance suite's client: one HTTP
//! client for every test of the workspace.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, mpsc};
use std::time::Duration;

use background_tasks::Executor;
use background_tasks_conformance::http::{Client, Head};
use background_tasks_tower::{BackgroundTasksLayer, RequestReport};

use crate::Settings;

/// The report hook [`TestServer::start_with`] hands an integration: it sends each report to the
/// server's channel.
pub type ReportHook = Box<dyn Fn(RequestReport) + Send + Sync>;

/// The failure bound of every wait: never a way to synchronise, only to fail instead of hanging.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// One example served for one test, with its log file in a fresh temporary directory, removed
/// when the server is dropped.
pub struct TestServer {
    /// The address the example listens on.
    pub addr: SocketAddr,
    /// The example's settings: port 0 on 127.0.0.1, the temporary log file, the cleanup delay.
    pub settings: Settings,
    reports: mpsc::Receiver<RequestReport>,
    on_drop: Option<Box<dyn FnOnce() + Send>>,
}

impl std::fmt::Debug for TestServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestServer")
            .field("addr", &self.addr)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl TestServer {
    /// Makes the settings of a test of `example` (a fresh temporary directory for the log file)
    /// and a layer on `executor` reporting to this server's channel, then has `serve` serve the
    /// example with them: it binds `settings.addr`, serves in the background until the test
    /// process ends, and returns the address it bound.
    ///
    /// `tune` adjusts the settings first (the cleanup delay, a short header-read timeout).
    pub fn start<E: Executor + Clone>(
        example: &str,
        tune: impl FnOnce(&mut Settings),
        executor: E,
        serve: impl FnOnce(&Settings, BackgroundTasksLayer<E>) -> SocketAddr,
    ) -> Self {
        Self::start_with(
            example,
            tune,
            |hook| BackgroundTasksLayer::new(executor).on_report(hook),
            serve,
        )
    }

    /// [`start`](Self::start) for any framework's integration: `integrate` makes it (tower's
    /// layer, actix-web's middleware) with the report hook it is given, and `serve` serves the
    /// example with it.
    pub fn start_with<I>(
        example: &str,
        tune: impl FnOnce(&mut Settings),
        integrate: impl FnOnce(ReportHook) -> I,
        serve: impl FnOnce(&Settings, I) -> SocketAddr,
    ) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "background-tasks-example-{example}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let mut settings = Settings {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            log_file: dir.join("log.txt"),
            ..Settings::default()
        };
        tune(&mut settings);

        let (sent, reports) = mpsc::channel();
        let sent = Mutex::new(sent);
        let integration = integrate(Box::new(move |report| {
            let _ = sent.lock().unwrap().send(report);
        }));
        let addr = serve(&settings, integration);
        Self {
            addr,
            settings,
            reports,
            on_drop: None,
        }
    }

    /// Runs `shutdown` when the server is dropped, before its directory is removed (to stop a
    /// runtime the test owns, say).
    pub fn on_drop(mut self, shutdown: impl FnOnce() + Send + 'static) -> Self {
        self.on_drop = Some(Box::new(shutdown));
        self
    }

    /// The layer's report for the next request that queued tasks, sent once they have all run.
    ///
    /// # Panics
    ///
    /// After [`TIMEOUT`] without one.
    pub fn next_report(&self) -> RequestReport {
        self.reports
            .recv_timeout(TIMEOUT)
            .expect("no report from the layer in time")
    }

    /// The log file's contents ("" while it does not exist).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.settings.log_file).unwrap_or_default()
    }

    /// A new connection to the server, from the conformance suite's client (its reads fail
    /// after [`WAIT_LIMIT`](background_tasks_conformance::http::WAIT_LIMIT) instead of hanging);
    /// [`Replies`] reads its responses as text.
    ///
    /// # Panics
    ///
    /// If the connection fails.
    pub fn client(&self) -> Client {
        Client::connect(self.addr)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.on_drop.take() {
            shutdown();
        }
        if let Some(dir) = self.settings.log_file.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A hyper example served on `R` for one test, from a thread of its own, until the test process
/// ends: each example's `tests/common` names it `Server`.
#[cfg(feature = "serve")]
#[derive(Debug)]
pub struct Served<R>(std::marker::PhantomData<R>);

#[cfg(feature = "serve")]
impl<R: crate::Runtime> Served<R> {
    /// Serves the service that `service` builds, its cleanup sleeping `cleanup_delay`.
    pub fn start<S: crate::serve::Servable>(
        cleanup_delay: Duration,
        service: impl FnOnce(&Settings, BackgroundTasksLayer<R::Executor>) -> S,
    ) -> TestServer {
        Self::tuned(
            move |settings| settings.cleanup_delay = cleanup_delay,
            service,
        )
    }

    /// Serves the service that `service` builds with settings that `tune` adjusted, its layer
    /// reporting to the server's channel.
    pub fn tuned<S: crate::serve::Servable>(
        tune: impl FnOnce(&mut Settings),
        service: impl FnOnce(&Settings, BackgroundTasksLayer<R::Executor>) -> S,
    ) -> TestServer {
        TestServer::start(R::NAME, tune, R::executor(), |settings, layer| {
            let service = service(settings, layer);
            // Bound here, so that the server accepts before the first request is sent.
            let listener = R::block_on(R::bind(settings.addr)).unwrap();
            let addr = R::local_addr(&listener).unwrap();
            let settings = settings.clone();
            std::thread::spawn(move || {
                R::block_on(crate::serve::serve::<R, S>(&settings, listener, service))
            });
            addr
        })
    }
}

/// A response as text: what the examples answer (JSON, a page, Prometheus's exposition), with a
/// `Debug` that reads well in an assertion's message.
#[derive(Debug)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The body, as UTF-8.
    pub body: String,
}

impl Reply {
    /// Asserts `200 OK` with `json` as the body, as `application/json`.
    ///
    /// # Panics
    ///
    /// When the reply is anything else.
    pub fn assert_json_ok(&self, json: &str) {
        assert_eq!(self.status, 200, "{self:?}");
        assert_eq!(
            self.content_type.as_deref(),
            Some("application/json"),
            "{self:?}"
        );
        assert_eq!(self.body, json);
    }
}

impl From<(Head, Vec<u8>)> for Reply {
    /// The response [`Client::request`] (or [`Client::try_request`]) read.
    ///
    /// # Panics
    ///
    /// If the body is not UTF-8.
    fn from((head, body): (Head, Vec<u8>)) -> Self {
        Self {
            status: head.status,
            content_type: head.header("content-type").map(str::to_owned),
            body: String::from_utf8(body).expect("a UTF-8 body"),
        }
    }
}

/// The conformance suite's [`Client`], its responses read as [`Reply`]s.
pub trait Replies {
    /// Sends a request without a body and reads the response.
    ///
    /// # Panics
    ///
    /// As [`Client::request`], and if the body is not UTF-8.
    fn reply(&mut self, method: &str, target: &str) -> Reply;

    /// `POST target`, expecting `200 OK` with `json` as the body, as `application/json`.
    ///
    /// # Panics
    ///
    /// As [`reply`](Self::reply), and when the reply is anything else.
    fn post_ok(&mut self, target: &str, json: &str);
}

impl Replies for Client {
    fn reply(&mut self, method: &str, target: &str) -> Reply {
        self.request(method, target).into()
    }

    fn post_ok(&mut self, target: &str, json: &str) {
        self.reply("POST", target).assert_json_ok(json);
    }
}
