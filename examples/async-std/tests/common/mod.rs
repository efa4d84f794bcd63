//! Shared by the example's tests: a temporary log file, the example served on 127.0.0.1:0 by a
//! thread of its own, the layer's reports on a channel, and a blocking HTTP/1.1 client written by
//! hand over `std::net::TcpStream`.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, mpsc};
use std::time::Duration;

use background_tasks::BoxError;
use background_tasks_async_std::AsyncStdExecutor;
use background_tasks_example_async_std::{Settings, serve};
use background_tasks_tower::{BackgroundTasksLayer, RequestReport};
use hyper::body::Incoming;
use hyper::{Request, Response};
use tower::Service;

/// The failure bound of every wait: never a way to synchronise, only to fail instead of hanging.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(10);

/// One example served for one test, with its log file in a fresh temporary directory.
pub(crate) struct Server {
    pub(crate) addr: SocketAddr,
    pub(crate) settings: Settings,
    reports: mpsc::Receiver<RequestReport>,
}

impl Server {
    /// Serves the service that `service` builds, its layer reporting to this server's channel.
    pub(crate) fn start<S, B>(
        cleanup_delay: Duration,
        service: impl FnOnce(&Settings, BackgroundTasksLayer<AsyncStdExecutor>) -> S,
    ) -> Self
    where
        S: Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
        S::Future: Send + 'static,
        S::Error: Into<BoxError>,
        B: hyper::body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "background-tasks-example-async-std-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let settings = Settings {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            log_file: dir.join("log.txt"),
            cleanup_delay,
        };

        let (sent, reports) = mpsc::channel();
        let sent = Mutex::new(sent);
        let layer = BackgroundTasksLayer::new(AsyncStdExecutor::new()).on_report(move |report| {
            let _ = sent.lock().unwrap().send(report);
        });
        let service = service(&settings, layer);
        let listener =
            async_std::task::block_on(async_std::net::TcpListener::bind(settings.addr)).unwrap();
        let addr = listener.local_addr().unwrap();
        // The server runs until the test process ends.
        std::thread::spawn(move || async_std::task::block_on(serve(listener, service)));
        Self {
            addr,
            settings,
            reports,
        }
    }

    /// The layer's report for the next request that queued tasks, sent once they have all run.
    ///
    /// # Panics
    ///
    /// After [`TIMEOUT`] without one.
    pub(crate) fn next_report(&self) -> RequestReport {
        self.reports
            .recv_timeout(TIMEOUT)
            .expect("no report from the layer in time")
    }

    /// The log file's contents ("" while it does not exist).
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(&self.settings.log_file).unwrap_or_default()
    }

    pub(crate) fn client(&self) -> Client {
        Client::connect(self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(dir) = self.settings.log_file.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A response as the client read it.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) content_type: Option<String>,
    pub(crate) body: String,
}

/// A blocking HTTP/1.1 client over one keep-alive connection.
pub(crate) struct Client {
    reader: BufReader<TcpStream>,
}

impl Client {
    pub(crate) fn connect(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(TIMEOUT)).unwrap();
        Self {
            reader: BufReader::new(stream),
        }
    }

    /// Sends a request without a body and reads the whole response (`Content-Length` bodies only,
    /// which is what the examples send).
    pub(crate) fn request(&mut self, method: &str, target: &str) -> Reply {
        let request =
            format!("{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n");
        self.reader.get_mut().write_all(request.as_bytes()).unwrap();

        let mut line = String::new();
        self.reader.read_line(&mut line).unwrap();
        let status = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("not a status line: {line:?}"));
        let (mut content_type, mut length) = (None, 0);
        loop {
            line.clear();
            self.reader.read_line(&mut line).unwrap();
            let Some((name, value)) = line.trim_end().split_once(':') else {
                break;
            };
            match name.to_ascii_lowercase().as_str() {
                "content-type" => content_type = Some(value.trim().to_owned()),
                "content-length" => length = value.trim().parse().unwrap(),
                _ => {}
            }
        }
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body).unwrap();
        Reply {
            status,
            content_type,
            body: String::from_utf8(body).unwrap(),
        }
    }

    /// `POST target`, expecting `200 OK` with `json` as the body.
    pub(crate) fn post_ok(&mut self, target: &str, json: &str) {
        let response = self.request("POST", target);
        assert_eq!(response.status, 200, "{response:?}");
        assert_eq!(
            response.content_type.as_deref(),
            Some("application/json"),
            "{response:?}"
        );
        assert_eq!(response.body, json);
    }
}
