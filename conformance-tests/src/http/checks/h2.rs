//! C8 and C1 over HTTP/2 (h2c with prior knowledge), talked to by hyper's HTTP/2 client.
//!
//! HTTP/2 ends a response differently (a DATA frame flagged END_STREAM, streams multiplexed on one
//! connection), so the HTTP/1.1 results do not carry over by themselves: C8 (a stream's tasks
//! start only after its body ended, while another stream on the same connection runs its own)
//! and C1 (FastAPI's dependency example) are checked again here.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use futures_channel::oneshot;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Empty};
use hyper::body::{Bytes, Incoming};
use hyper::client::conn::http2::{self, SendRequest};
use hyper_util::rt::{TokioExecutor as HyperExecutor, TokioIo};

use super::{assert_ran, serve_app};
use crate::http::{App, Chunks, Events, HttpHarness, Reply, Reports};

/// An HTTP/2 connection to `addr`, with prior knowledge (no upgrade), driven on the client's own
/// runtime so that the server's runtime is left as the harness made it.
struct H2Client {
    runtime: tokio::runtime::Runtime,
    sender: SendRequest<Empty<Bytes>>,
    addr: SocketAddr,
}

impl H2Client {
    fn connect(addr: SocketAddr) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let sender = runtime.block_on(async {
            let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
            let (sender, connection) = http2::handshake(HyperExecutor::new(), TokioIo::new(stream))
                .await
                .expect("an HTTP/2 handshake with prior knowledge");
            tokio::spawn(connection);
            sender
        });
        Self {
            runtime,
            sender,
            addr,
        }
    }

    /// Sends a request on a new stream and returns the response once its head has arrived.
    fn send(&mut self, method: &str, path: &str) -> Response<Incoming> {
        let request = Request::builder()
            .method(method)
            .uri(format!("http://{}{path}", self.addr))
            .body(Empty::new())
            .unwrap();
        let response = self.runtime.block_on(async {
            self.sender.ready().await.unwrap();
            self.sender.send_request(request).await.unwrap()
        });
        assert_eq!(response.version(), http::Version::HTTP_2);
        response
    }

    fn read_body(&self, response: Response<Incoming>) -> Bytes {
        self.runtime
            .block_on(response.into_body().collect())
            .unwrap()
            .to_bytes()
    }

    fn request(&mut self, method: &str, path: &str) -> (StatusCode, Bytes) {
        let response = self.send(method, path);
        let status = response.status();
        (status, self.read_body(response))
    }
}

/// C8 over HTTP/2: a stream whose last chunk is held runs no task, while another stream on the
/// same connection gets its answer and its task runs; once the body ends, the task starts.
pub fn c08_h2_tasks_start_after_the_stream_ends<H: HttpHarness>() {
    let harness = H::new();
    let (events, reports) = (Events::default(), Reports::default());
    let (open, gate) = oneshot::channel::<()>();
    let gate = Arc::new(Mutex::new(Some(gate)));
    let e = events.clone();
    let app = App::new(&reports, move |request, tasks| {
        let log = e.clone();
        if request.path == "/probe" {
            tasks.add_async_task(async move { log.push("probe task ran") });
            return Reply::text("probed").into();
        }
        tasks.add_async_task(async move { log.push("held task started") });
        let gate = gate.lock().unwrap().take().unwrap();
        Reply::chunks(Chunks::new(&e, "held", 4, 1024).held_by(gate)).into()
    });
    let addr = serve_app(&harness, app);

    let mut client = H2Client::connect(addr);
    let held = client.send("GET", "/held");
    assert_eq!(held.status(), 200);
    events.wait_for("held held");

    // Another stream on the same connection is answered and its task runs meanwhile.
    assert_eq!(client.request("GET", "/probe").1, "probed");
    events.wait_for("probe task ran");
    assert!(
        !events.contains("held task started"),
        "a task started before its stream's body ended; log: {:?}",
        events.snapshot()
    );

    open.send(()).unwrap();
    assert_eq!(client.read_body(held).len(), 4096);
    events.wait_for("held task started");
    events.assert_order(["held held", "held body end", "held task started"]);
    assert_ran(&reports.take("/held"), 200);
}

/// C1 over HTTP/2: FastAPI's second example, a dependency's task before the handler's.
pub fn c01_h2_dependency_and_handler_tasks_run_in_order<H: HttpHarness>() {
    let harness = H::new();
    let (log, reports) = (Events::default(), Reports::default());
    let (l, d) = (log.clone(), log.clone());
    let app = App::new(&reports, move |request, tasks| {
        let email = &request.path["/send-notification/".len()..];
        let (log, message) = (l.clone(), format!("message to {email}"));
        tasks.add_task(move || log.push(message));
        Reply::text(r#"{"message":"Message sent"}"#).into()
    })
    // FastAPI's `get_query` dependency.
    .dependency(move |request, tasks| {
        if let Some(q) = request.query_param("q") {
            let (log, message) = (d.clone(), format!("found query: {q}"));
            tasks.add_task(move || log.push(message));
        }
    });
    let addr = serve_app(&harness, app);

    let mut client = H2Client::connect(addr);
    let (status, body) = client.request("POST", "/send-notification/ada@example.com?q=rust");
    assert_eq!(
        (status, &*body),
        (StatusCode::OK, &br#"{"message":"Message sent"}"#[..])
    );
    assert_ran(&reports.take("/send-notification/ada@example.com"), 200);
    assert_eq!(
        log.snapshot(),
        ["found query: rust", "message to ada@example.com"]
    );

    log.clear();
    assert_eq!(
        client
            .request("POST", "/send-notification/bob@example.com")
            .0,
        StatusCode::OK
    );
    assert_ran(&reports.take("/send-notification/bob@example.com"), 200);
    assert_eq!(log.snapshot(), ["message to bob@example.com"]);
}
