//! The app the status page's tests serve: a few routes that queue tasks with ids, the page
//! mounted twice (admin for loopback at `/_tasks/`, the default read-only at `/ops/status/`),
//! on a real server over TCP that a test can cut every connection of, counting the admin page's
//! open live streams as the server sees them.

#![allow(dead_code, unreachable_pub)]

use std::convert::Infallible;
use std::net::{SocketAddr, TcpListener};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::routing::{get, post};
use background_tasks::status::Observer;
use background_tasks::{BackgroundTasks, Runner, Task};
use background_tasks_status::{Access, PeerAddr, StatusBody, StatusPage};
use background_tasks_tokio::TokioExecutor;
use background_tasks_tower::BackgroundTasksLayer;
use bytes::Bytes;
use http_body::Frame;
use hyper_util::rt::{TokioExecutor as HyperExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::sync::{Notify, watch};
use tower::ServiceExt;

/// The page's prefixes: admin (loopback) and read-only.
pub const ADMIN: &str = "/_tasks/";
pub const READ_ONLY: &str = "/ops/status/";

/// How long a check waits for what it expects before it fails.
pub const WAIT: Duration = Duration::from_secs(10);

pub struct TestApp {
    pub addr: SocketAddr,
    pub runner: Runner<TokioExecutor>,
    /// Lets `/hold`'s first task end.
    pub release: Arc<Notify>,
    /// The page at [`ADMIN`].
    pub admin: StatusPage,
    /// How many of [`ADMIN`]'s live streams the server holds open.
    pub streams: watch::Receiver<usize>,
    cut: watch::Sender<u64>,
    runtime: Option<tokio::runtime::Runtime>,
}

#[derive(Clone)]
struct AppState {
    release: Arc<Notify>,
}

/// `GET /ok`: one task that succeeds; answers its id.
async fn ok(tasks: BackgroundTasks) -> String {
    let task = Task::sync(|| ()).with_label("send welcome email");
    tasks.add_with_id(task).expect("observed").to_string()
}

/// `GET /fail`: one task that fails; answers its id.
async fn fail(tasks: BackgroundTasks) -> String {
    let task = Task::future(async { Err::<(), _>("smtp refused: mailbox full") })
        .with_label("send receipt");
    tasks.add_with_id(task).expect("observed").to_string()
}

/// `GET /push`: one task that hands a job on (as background-tasks-apalis's `add_job_with_id`
/// does) and tells the observer the job's id; answers the task's id.
async fn push(tasks: BackgroundTasks) -> String {
    let observer = tasks.observer().expect("observed");
    let own_id = Arc::new(std::sync::OnceLock::new());
    let id = Arc::clone(&own_id);
    let task = Task::sync(move || observer.pushed(*id.get().unwrap(), Some("01JOBTEST".into())))
        .with_label("hand over the invoice job");
    let id = tasks.add_with_id(task).expect("observed");
    own_id.set(id).unwrap();
    id.to_string()
}

/// `POST /hold`: a task that waits for the test's release, and one queued behind it; answers the
/// second's id.
async fn hold(State(state): State<AppState>, tasks: BackgroundTasks) -> String {
    let release = state.release.clone();
    tasks.add(Task::future(async move { release.notified().await }).with_label("wait for release"));
    let behind = Task::sync(|| ()).with_label("resize upload");
    tasks.add_with_id(behind).expect("observed").to_string()
}

/// `GET /long/{*rest}`: one task with a 300-character label without a space (a generated key, say);
/// answers its id.
async fn long(tasks: BackgroundTasks) -> String {
    let mut label = format!("reindex:{}", "0123456789abcdef".repeat(19));
    label.truncate(300);
    let task = Task::sync(|| ()).with_label(label);
    tasks.add_with_id(task).expect("observed").to_string()
}

/// A live stream's body, counted open from its response until the server drops it (the stream
/// ended, or the server saw its client go).
struct Counted {
    body: StatusBody,
    open: watch::Sender<usize>,
}

impl Counted {
    fn new(body: StatusBody, open: watch::Sender<usize>) -> Self {
        open.send_modify(|n| *n += 1);
        Self { body, open }
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.open.send_modify(|n| *n -= 1);
    }
}

impl http_body::Body for Counted {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }
}

/// The page's responses, each live stream counted in `open`.
fn counting(
    response: http::Response<StatusBody>,
    open: &watch::Sender<usize>,
) -> http::Response<Body> {
    let stream = response.headers()[http::header::CONTENT_TYPE] == "text/event-stream";
    response.map(|body| match stream {
        true => Body::new(Counted::new(body, open.clone())),
        false => Body::new(body),
    })
}

impl TestApp {
    pub fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let executor = TokioExecutor::from_handle(runtime.handle().clone());
        let runner = Runner::new(executor).observe(Observer::new(500));
        let admin = StatusPage::new(&runner)
            .expect("observed")
            .access(|caller| match caller.peer() {
                Some(peer) if peer.ip().is_loopback() => Access::Admin,
                _ => Access::Deny,
            });
        let read_only = StatusPage::new(&runner).expect("observed");
        let release = Arc::new(Notify::new());
        let (open, streams) = watch::channel(0);
        let counted = ServiceExt::<http::Request<Body>>::map_response(admin.service(), move |r| {
            counting(r, &open)
        });
        let app = Router::new()
            .route("/ok", get(ok))
            .route("/fail", get(fail))
            .route("/push", get(push))
            .route("/hold", post(hold))
            .route("/long/{*rest}", get(long))
            .with_state(AppState {
                release: release.clone(),
            })
            .nest_service(ADMIN.trim_end_matches('/'), counted)
            .nest_service(READ_ONLY.trim_end_matches('/'), read_only.service())
            .layer(BackgroundTasksLayer::with_runner(runner.clone()));
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding 127.0.0.1:0");
        listener.set_nonblocking(true).expect("non-blocking");
        let addr = listener.local_addr().expect("an address");
        let (cut, cuts) = watch::channel(0u64);
        runtime.spawn(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
            loop {
                let Ok((stream, peer)) = listener.accept().await else {
                    continue;
                };
                let service = app.clone().map_request(
                    move |mut request: http::Request<hyper::body::Incoming>| {
                        request.extensions_mut().insert(PeerAddr(peer));
                        request
                    },
                );
                let mut cuts = cuts.clone();
                let generation = *cuts.borrow_and_update();
                tokio::spawn(async move {
                    let builder = auto::Builder::new(HyperExecutor::new());
                    let connection = builder
                        .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
                    // A cut drops the connection: the client sees its stream end mid-way.
                    tokio::select! {
                        _ = connection => {}
                        _ = cuts.wait_for(|now| *now > generation) => {}
                    }
                });
            }
        });
        Self {
            addr,
            runner,
            release,
            admin,
            streams,
            cut,
            runtime: Some(runtime),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Drops every open connection (the page's live stream among them).
    pub fn cut_connections(&self) {
        self.cut.send_modify(|generation| *generation += 1);
    }

    pub fn observer(&self) -> &Observer {
        self.runner.observer().expect("observed")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
