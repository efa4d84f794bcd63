//! Shared by the HTTP tests: an event log, a response body that logs its end, a tokio + axum server
//! on a real socket, and a blocking HTTP/1.1 client written by hand over `std::net::TcpStream`.
#![allow(dead_code)]

use std::collections::HashMap;
use std::convert::Infallible;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, mpsc};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Bytes;
use background_tasks_tokio::TokioExecutor;
use background_tasks_tower::RequestReport;
use http_body::{Body, Frame, SizeHint};

/// The failure bound of every wait: never a way to synchronise, only to fail instead of hanging.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(10);

/// An ordered log of what happened, shared by handlers, bodies, tasks and the test.
#[derive(Clone, Default)]
pub(crate) struct Events {
    inner: Arc<(Mutex<Vec<String>>, Condvar)>,
}

impl Events {
    pub(crate) fn push(&self, event: impl Into<String>) {
        let (log, changed) = &*self.inner;
        log.lock().unwrap().push(event.into());
        changed.notify_all();
    }

    pub(crate) fn snapshot(&self) -> Vec<String> {
        self.inner.0.lock().unwrap().clone()
    }

    /// Waits until `event` is logged and returns the log.
    ///
    /// # Panics
    ///
    /// After [`TIMEOUT`].
    pub(crate) fn wait_for(&self, event: &str) -> Vec<String> {
        let (log, changed) = &*self.inner;
        let (log, timeout) = changed
            .wait_timeout_while(log.lock().unwrap(), TIMEOUT, |log| {
                !log.iter().any(|e| e == event)
            })
            .unwrap();
        assert!(
            !timeout.timed_out(),
            "`{event}` was not logged in time; log: {:?}",
            *log
        );
        log.clone()
    }

    pub(crate) fn clear(&self) {
        self.inner.0.lock().unwrap().clear();
    }

    pub(crate) fn position(&self, event: &str) -> Option<usize> {
        self.snapshot().iter().position(|e| e == event)
    }
}

/// Collects the layer's per-request reports.
pub(crate) struct Reports {
    received: mpsc::Receiver<RequestReport>,
}

impl Reports {
    /// A hook for `BackgroundTasksLayer::on_report`, and the receiving end.
    pub(crate) fn new() -> (impl Fn(RequestReport) + Send + Sync + 'static, Self) {
        let (sent, received) = mpsc::channel();
        let sent = Mutex::new(sent);
        let hook = move |report| {
            let _ = sent.lock().unwrap().send(report);
        };
        (hook, Self { received })
    }

    /// # Panics
    ///
    /// After [`TIMEOUT`] without a report.
    pub(crate) fn next(&self) -> RequestReport {
        self.received
            .recv_timeout(TIMEOUT)
            .expect("no report from the layer in time")
    }
}

/// A response body of `chunks` equal chunks that logs "body end" when it hands its last frame to
/// the server. With `exact`, it announces its length (the server sends `Content-Length` and drops
/// it after the last chunk without polling for the end, like `Full`); without, it is a stream of
/// unknown length (sent chunked, polled until it returns the end).
pub(crate) struct Chunks {
    chunk: Bytes,
    remaining: usize,
    exact: bool,
    ended: bool,
    events: Events,
}

static FILLER: [u8; 64 * 1024] = [b'x'; 64 * 1024];

impl Chunks {
    pub(crate) fn new(chunks: usize, chunk_size: usize, exact: bool, events: Events) -> Self {
        Self {
            chunk: Bytes::from_static(&FILLER[..chunk_size]),
            remaining: chunks,
            exact,
            ended: false,
            events,
        }
    }

    fn end(&mut self) {
        if !self.ended {
            self.ended = true;
            self.events.push("body end");
        }
    }
}

impl Body for Chunks {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.remaining == 0 {
            self.end();
            return Poll::Ready(None);
        }
        self.remaining -= 1;
        if self.remaining == 0 && self.exact {
            self.end();
        }
        Poll::Ready(Some(Ok(Frame::data(self.chunk.clone()))))
    }

    fn is_end_stream(&self) -> bool {
        self.exact && self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        if self.exact {
            SizeHint::with_exact((self.remaining * self.chunk.len()) as u64)
        } else {
            SizeHint::default()
        }
    }
}

/// An axum app served on a tokio runtime of its own, on 127.0.0.1 with a small send buffer (so a
/// client that stops reading stops the server's writes after a few KiB, not megabytes).
pub(crate) struct TokioServer {
    pub(crate) addr: SocketAddr,
    runtime: Option<tokio::runtime::Runtime>,
}

impl TokioServer {
    pub(crate) fn start(app: impl FnOnce(TokioExecutor) -> axum::Router) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let router = app(TokioExecutor::from_handle(runtime.handle().clone()));
        let listener = runtime.block_on(async {
            let socket = tokio::net::TcpSocket::new_v4().unwrap();
            socket.set_send_buffer_size(16 * 1024).unwrap();
            socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
            socket.listen(64).unwrap()
        });
        let addr = listener.local_addr().unwrap();
        runtime.spawn(async move { axum::serve(listener, router).await.unwrap() });
        Self {
            addr,
            runtime: Some(runtime),
        }
    }

    /// A client whose receive buffer is small, for tests that stop reading half-way.
    pub(crate) fn slow_client(&self) -> Client {
        let stream = self.runtime.as_ref().unwrap().block_on(async {
            let socket = tokio::net::TcpSocket::new_v4().unwrap();
            socket.set_recv_buffer_size(16 * 1024).unwrap();
            socket.connect(self.addr).await.unwrap().into_std().unwrap()
        });
        stream.set_nonblocking(false).unwrap();
        Client::from_stream(stream)
    }
}

impl Drop for TokioServer {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// A response as the client read it.
#[derive(Debug)]
pub(crate) struct Head {
    pub(crate) status: u16,
    pub(crate) headers: HashMap<String, String>,
}

/// A blocking HTTP/1.1 client over one keep-alive connection, written by hand so that a test can
/// stop reading half-way or hang up.
pub(crate) struct Client {
    reader: BufReader<TcpStream>,
}

impl Client {
    pub(crate) fn connect(addr: SocketAddr) -> Self {
        Self::from_stream(TcpStream::connect(addr).unwrap())
    }

    fn from_stream(stream: TcpStream) -> Self {
        stream.set_read_timeout(Some(TIMEOUT)).unwrap();
        Self {
            reader: BufReader::new(stream),
        }
    }

    /// The connection, to read it to its end.
    pub(crate) fn into_stream(self) -> TcpStream {
        self.reader.into_inner()
    }

    /// Sends a request without a body.
    pub(crate) fn send(&mut self, method: &str, target: &str) {
        let request = format!("{method} {target} HTTP/1.1\r\nHost: test\r\n\r\n");
        self.reader.get_mut().write_all(request.as_bytes()).unwrap();
    }

    /// Reads a response's status line and headers.
    pub(crate) fn read_head(&mut self) -> Head {
        let mut line = String::new();
        self.reader.read_line(&mut line).unwrap();
        let status = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("not a status line: {line:?}"));
        let mut headers = HashMap::new();
        loop {
            line.clear();
            self.reader.read_line(&mut line).unwrap();
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').unwrap();
            headers.insert(name.to_ascii_lowercase(), value.trim().to_owned());
        }
        Head { status, headers }
    }

    /// Reads exactly `n` bytes of a body.
    pub(crate) fn read_bytes(&mut self, n: usize) -> Vec<u8> {
        let mut buf = vec![0; n];
        self.reader.read_exact(&mut buf).unwrap();
        buf
    }

    /// Reads the body that follows `head` (none for `HEAD`, `204` and `304`).
    pub(crate) fn read_body(&mut self, method: &str, head: &Head) -> Vec<u8> {
        if method == "HEAD" || head.status == 204 || head.status == 304 {
            return Vec::new();
        }
        if let Some(length) = head.headers.get("content-length") {
            return self.read_bytes(length.parse().unwrap());
        }
        assert_eq!(
            head.headers.get("transfer-encoding").map(String::as_str),
            Some("chunked"),
            "a body without a length must be chunked"
        );
        let mut body = Vec::new();
        let mut line = String::new();
        loop {
            line.clear();
            self.reader.read_line(&mut line).unwrap();
            let size = usize::from_str_radix(line.trim_end(), 16).unwrap();
            body.extend(self.read_bytes(size));
            self.read_bytes(2); // CRLF after the chunk
            if size == 0 {
                return body;
            }
        }
    }

    /// Sends a request and reads the whole response.
    pub(crate) fn request(&mut self, method: &str, target: &str) -> (Head, Vec<u8>) {
        self.send(method, target);
        let head = self.read_head();
        let body = self.read_body(method, &head);
        (head, body)
    }
}
