//! The examples' test harness: a [`TestServer`] (a temporary log file, the layer's reports on a
//! channel) and a blocking HTTP/1.1 [`Client`] written by hand over `std::net::TcpStream`.
//!
//! Each example's `tests/common/mod.rs` serves its app on its own runtime, through
//! [`TestServer::start`] (or, for the hyper examples, `Served`, with the `serve` feature); the
//! tests then talk to it with [`Client`].

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, mpsc};
use std::time::Duration;

use background_tasks::Executor;
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

    /// A new connection to the server.
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

/// A response as the client read it.
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

/// A blocking HTTP/1.1 client over one keep-alive connection.
#[derive(Debug)]
pub struct Client {
    reader: BufReader<TcpStream>,
}

impl Client {
    /// Connects to `addr`, with [`TIMEOUT`] on reads.
    pub fn connect(addr: SocketAddr) -> Self {
        Self::try_connect(addr).unwrap_or_else(|error| panic!("connect to {addr}: {error}"))
    }

    /// As [`connect`](Self::connect), returning the error of a server that is not there.
    ///
    /// # Errors
    ///
    /// The connection's error.
    pub fn try_connect(addr: SocketAddr) -> std::io::Result<Self> {
        let stream = TcpStream::connect(addr)?;
        stream.set_read_timeout(Some(TIMEOUT))?;
        Ok(Self {
            reader: BufReader::new(stream),
        })
    }

    /// Sends a request without a body and reads the whole response (`Content-Length` bodies only,
    /// which is what the examples send).
    ///
    /// # Panics
    ///
    /// When the connection fails or the response is malformed: [`try_request`](Self::try_request)
    /// returns those as errors instead.
    pub fn request(&mut self, method: &str, target: &str) -> Reply {
        self.try_request(method, target)
            .unwrap_or_else(|error| panic!("{method} {target}: {error}"))
    }

    /// As [`request`](Self::request), for tests that expect the server to go away: a refused,
    /// reset or closed connection, or a malformed response, is an error.
    ///
    /// # Errors
    ///
    /// The connection's error, or [`std::io::ErrorKind::InvalidData`] for a malformed response.
    pub fn try_request(&mut self, method: &str, target: &str) -> std::io::Result<Reply> {
        use std::io::{Error, ErrorKind};
        let invalid = |what: String| Error::new(ErrorKind::InvalidData, what);
        let request =
            format!("{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n");
        self.reader.get_mut().write_all(request.as_bytes())?;

        let mut line = String::new();
        self.reader.read_line(&mut line)?;
        let status = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| invalid(format!("not a status line: {line:?}")))?;
        let (mut content_type, mut length) = (None, 0);
        loop {
            line.clear();
            self.reader.read_line(&mut line)?;
            let Some((name, value)) = line.trim_end().split_once(':') else {
                break;
            };
            match name.to_ascii_lowercase().as_str() {
                "content-type" => content_type = Some(value.trim().to_owned()),
                "content-length" => {
                    length = value
                        .trim()
                        .parse()
                        .map_err(|_| invalid(format!("bad Content-Length: {value:?}")))?;
                }
                _ => {}
            }
        }
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body)?;
        Ok(Reply {
            status,
            content_type,
            body: String::from_utf8(body).map_err(|e| invalid(e.to_string()))?,
        })
    }

    /// `POST target`, expecting `200 OK` with `json` as the body.
    pub fn post_ok(&mut self, target: &str, json: &str) {
        self.request("POST", target).assert_json_ok(json);
    }
}
