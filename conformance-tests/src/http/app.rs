//! [`App`]: what an HTTP check serves, described as data, so that every framework's harness builds
//! its own app from it.
//!
//! A check says which settings the integration has (`OnDisconnect`, `Statuses`, where its reports
//! go), what the handler queues (and, as a FastAPI dependency would, what an extractor queues
//! before it), and how it answers: an [`Action`], which is a [`Reply`] (status, headers, a body of
//! one of the suite's kinds), a file, or a panic, or a handler that never answers; and whether a
//! compressor sits inside or outside the integration. A tower harness serves it
//! with [`tower_service`] (every [`TowerHarness`](crate::http::TowerHarness) does, unchanged); a
//! harness for another framework (actix-web's in `background-tasks-actix`) translates the same
//! description into its own app and middleware.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

use background_tasks::{BackgroundTasks, Executor, Runner};
use background_tasks_status::StatusPage;
use background_tasks_tower::{BackgroundTasksLayer, OnDisconnect, RequestReport, Statuses};
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Bytes, Incoming};
use tower::{Layer, ServiceExt, service_fn};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeFile;

use crate::harness::DELIBERATE;
use crate::http::{Chunks, EventStream, HttpBody, HttpService, Reports, boxed_service};

/// What a handler (or a dependency) sees of its request, the same on every framework.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestView {
    /// The method, as sent (`"GET"`).
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query, without its `?`, if there is one.
    pub query: Option<String>,
}

impl RequestView {
    /// The value of `key` in the query (`q` in `?q=rust`), undecoded.
    pub fn query_param(&self, key: &str) -> Option<&str> {
        self.query
            .as_deref()?
            .split('&')
            .find_map(|pair| pair.strip_prefix(key)?.strip_prefix('='))
    }
}

/// The handler every path is routed to: it may queue tasks on the request's queue, and says how
/// to answer.
pub type Handler = Arc<dyn Fn(&RequestView, &BackgroundTasks) -> Action + Send + Sync>;

/// The integration's report hook.
pub type ReportHook = Arc<dyn Fn(RequestReport) + Send + Sync>;

/// A FastAPI dependency: runs before the handler (as an extractor, where the framework has them)
/// and may queue tasks on the same queue.
pub type Dependency = Arc<dyn Fn(&RequestView, &BackgroundTasks) + Send + Sync>;

/// How a handler answers.
#[derive(Debug)]
#[non_exhaustive]
pub enum Action {
    /// With a response.
    Respond(Reply),
    /// With a file on disk, through the framework's own file server (tower-http's `ServeFile`,
    /// actix-files' `NamedFile`), which decides the status and headers: the file's length in
    /// `Content-Length`, its bytes read as the client takes them.
    File(PathBuf),
    /// By panicking at once, in the handler's call.
    Panic,
    /// By panicking in its future, after it was polled once.
    PanicInFuture,
    /// Never: the handler's future stays pending until the server drops it.
    Hang,
}

/// A response, as data.
#[derive(Debug)]
pub struct Reply {
    /// Its status.
    pub status: StatusCode,
    /// Extra headers (never `Content-Length` or `Transfer-Encoding`: the body's kind decides).
    pub headers: Vec<(&'static str, String)>,
    /// A `Content-Length` the response declares whatever its body sends (a body that falls short
    /// of it is cut short); `None` to let the body's kind decide.
    pub content_length: Option<u64>,
    /// Its body.
    pub body: ReplyBody,
}

/// The kinds of body a check sends.
#[derive(Debug)]
#[non_exhaustive]
pub enum ReplyBody {
    /// All at once, with its length (axum's `String`, actix's `HttpResponse::body`).
    Full(Bytes),
    /// No bytes, with `Content-Length: 0` (or none, for a status that has no body).
    Empty,
    /// The suite's [`Chunks`]: exact length, chunked stream, or a stream whose length only the
    /// `Content-Length` header declares; possibly held, possibly slow.
    Chunks(Chunks),
    /// The suite's [`EventStream`]: what the check sends, chunked, until it closes the channel.
    Events(EventStream),
}

impl Reply {
    /// `status` with `body`, no extra headers.
    pub fn new(status: StatusCode, body: ReplyBody) -> Self {
        Self {
            status,
            headers: Vec::new(),
            content_length: None,
            body,
        }
    }

    /// `200 OK` with `text` as a full body.
    pub fn text(text: &'static str) -> Self {
        Self::new(
            StatusCode::OK,
            ReplyBody::Full(Bytes::from_static(text.as_bytes())),
        )
    }

    /// `200 OK` with `chunks` as its body.
    pub fn chunks(chunks: Chunks) -> Self {
        Self::new(StatusCode::OK, ReplyBody::Chunks(chunks))
    }

    /// Declares `length` bytes in `Content-Length`, whatever the body sends.
    pub fn declaring(mut self, length: u64) -> Self {
        self.content_length = Some(length);
        self
    }

    /// The `Content-Length` the response declares beyond what its body tells the server: set by
    /// [`declaring`](Self::declaring), or a [`Chunks`] body's length when it is
    /// [`declared`](Chunks::declared).
    pub fn declared_length(&self) -> Option<u64> {
        match &self.body {
            _ if self.content_length.is_some() => self.content_length,
            ReplyBody::Chunks(chunks) if chunks.is_declared() => Some(chunks.len() as u64),
            _ => None,
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

impl From<Reply> for Action {
    fn from(reply: Reply) -> Self {
        Self::Respond(reply)
    }
}

/// What a check serves: the integration's settings (and, if the check needs its own, the runner
/// on the harness's executor `E`), an optional dependency, and the handler every path goes to.
pub struct App<E> {
    /// The runner the integration runs queues with (`with_runner`); `None` for a runner with the
    /// default policy and hooks on the harness's executor.
    pub runner: Option<Runner<E>>,
    /// The integration's `on_disconnect`.
    pub on_disconnect: OnDisconnect,
    /// The integration's `statuses`.
    pub statuses: Statuses,
    /// Where the integration's reports go (its `on_report` hook).
    pub on_report: ReportHook,
    /// Whether a panicking handler is answered `500` by a catch-panic outside the integration
    /// (tower-http's `CatchPanicLayer`, or its like), instead of the server dropping the
    /// connection.
    pub catch_panics: bool,
    /// A response compressor (tower-http's `CompressionLayer`, actix-web's `Compress`) and where
    /// it sits, if the app has one.
    pub compression: Option<Compression>,
    /// Runs before the handler.
    pub dependency: Option<Dependency>,
    /// Handles every path.
    pub handler: Handler,
    /// The status page and the prefix it is mounted at (C26), in front of everything else: a
    /// tower harness mounts it with `StatusPage::mount`, actix-web's with `actix_scope`.
    pub status: Option<(&'static str, StatusPage)>,
}

impl<E> App<E> {
    /// The default settings, reports to `reports`, `handler` on every path.
    pub fn new<F>(reports: &Reports, handler: F) -> Self
    where
        F: Fn(&RequestView, &BackgroundTasks) -> Action + Send + Sync + 'static,
    {
        Self::with_report_hook(reports.hook(), handler)
    }

    /// The default settings, reports to `on_report`, `handler` on every path.
    pub fn with_report_hook<R, F>(on_report: R, handler: F) -> Self
    where
        R: Fn(RequestReport) + Send + Sync + 'static,
        F: Fn(&RequestView, &BackgroundTasks) -> Action + Send + Sync + 'static,
    {
        Self {
            runner: None,
            on_disconnect: OnDisconnect::default(),
            statuses: Statuses::default(),
            on_report: Arc::new(on_report),
            catch_panics: false,
            compression: None,
            dependency: None,
            handler: Arc::new(handler),
            status: None,
        }
    }

    /// Mounts `page` at `prefix` (`"/_tasks/"`).
    pub fn status_page(mut self, prefix: &'static str, page: StatusPage) -> Self {
        self.status = Some((prefix, page));
        self
    }

    /// Runs queues with `runner` (its policy, hooks and limits) instead of a default one.
    pub fn runner(mut self, runner: Runner<E>) -> Self {
        self.runner = Some(runner);
        self
    }

    /// Sets `on_disconnect`.
    pub fn on_disconnect(mut self, on_disconnect: OnDisconnect) -> Self {
        self.on_disconnect = on_disconnect;
        self
    }

    /// Sets `statuses`.
    pub fn statuses(mut self, statuses: Statuses) -> Self {
        self.statuses = statuses;
        self
    }

    /// Answers a panicking handler with a `500` from outside the integration.
    pub fn catch_panics(mut self) -> Self {
        self.catch_panics = true;
        self
    }

    /// Compresses responses (gzip, for a client that accepts it) with the framework's compressor,
    /// placed `where` the [`Compression`] says.
    pub fn compression(mut self, compression: Compression) -> Self {
        self.compression = Some(compression);
        self
    }

    /// Runs `dependency` before the handler, on the same queue.
    pub fn dependency<F>(mut self, dependency: F) -> Self
    where
        F: Fn(&RequestView, &BackgroundTasks) + Send + Sync + 'static,
    {
        self.dependency = Some(Arc::new(dependency));
        self
    }
}

impl<E> fmt::Debug for App<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("App")
            .field("custom_runner", &self.runner.is_some())
            .field("on_disconnect", &self.on_disconnect)
            .field("statuses", &self.statuses)
            .field("catch_panics", &self.catch_panics)
            .field("compression", &self.compression)
            .field("dependency", &self.dependency.is_some())
            .finish_non_exhaustive()
    }
}

/// Where an [`App`]'s compressor sits, seen from the integration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Outside: the integration wraps the handler's body, and the compressor wraps the
    /// integration's. The tasks start after the handler's body has ended, which may be before
    /// the compressor hands over its last bytes. (In tower's `.layer` order: the compressor
    /// added after the integration.)
    Outside,
    /// Inside: the integration wraps the body the server writes, so the tasks start after the
    /// compressor's last bytes. What users want; the README says why.
    Inside,
}

/// Panics as the suite's deliberate panics do (their output hidden), saying `where`.
///
/// # Panics
///
/// Always.
pub fn deliberate_panic(place: &str) -> ! {
    panic!("{DELIBERATE} in {place}")
}

/// `app` as a tower service: `BackgroundTasksLayer::new(executor)` (or `with_runner` the app's
/// runner) with the app's settings around a `service_fn` that runs the dependency and the handler
/// in its `call` (the request's queue is `BackgroundTasks::current` there); tower-http's
/// `CompressionLayer` where the app puts it, and its `CatchPanicLayer` outside when the app asks
/// for it. Files are served by tower-http's `ServeFile`.
pub fn tower_service<E: Executor + Clone>(app: App<E>, executor: E) -> HttpService {
    let layer = match app.runner {
        Some(runner) => BackgroundTasksLayer::with_runner(runner),
        None => BackgroundTasksLayer::new(executor),
    }
    .on_disconnect(app.on_disconnect)
    .statuses(app.statuses)
    .on_report(move |report| (app.on_report)(report));
    let (dependency, handler) = (app.dependency, app.handler);
    let router = service_fn(move |request: Request<Incoming>| {
        let view = RequestView {
            method: request.method().to_string(),
            path: request.uri().path().to_owned(),
            query: request.uri().query().map(str::to_owned),
        };
        let tasks = BackgroundTasks::try_current().unwrap_or_else(|missing| panic!("{missing}"));
        if let Some(dependency) = &dependency {
            dependency(&view, &tasks);
        }
        let action = handler(&view, &tasks);
        let future: Pin<Box<dyn Future<Output = _> + Send>> = match action {
            Action::Respond(reply) => Box::pin(std::future::ready(Ok::<_, Infallible>(
                tower_response(reply),
            ))),
            Action::File(path) => Box::pin(async move {
                let response = in_tokio(ServeFile::new(path).oneshot(request))
                    .await
                    .expect("ServeFile never fails");
                Ok(response.map(|body| InTokio(Box::pin(body)).map_err(Into::into).boxed_unsync()))
            }),
            Action::Panic => deliberate_panic("the handler's call"),
            Action::PanicInFuture => Box::pin(async { deliberate_panic("the handler's future") }),
            Action::Hang => Box::pin(async { match std::future::pending::<Infallible>().await {} }),
        };
        future
    });
    let service = match app.compression {
        None => boxed_service(layer.layer(router)),
        Some(Compression::Outside) => {
            boxed_service(CompressionLayer::new().layer(layer.layer(router)))
        }
        Some(Compression::Inside) => {
            boxed_service(layer.layer(CompressionLayer::new().layer(router)))
        }
    };
    let service = match app.status {
        Some((prefix, page)) => boxed_service(page.mount(prefix, service)),
        None => service,
    };
    if app.catch_panics {
        boxed_service(CatchPanicLayer::new().layer(service))
    } else {
        service
    }
}

/// A tokio runtime for `tokio::fs` (which `ServeFile` reads through), whatever runtime serves:
/// only its blocking pool is used, and a blocking job needs no driver to wake whoever awaits it.
/// A smol or async-std application that serves files with `ServeFile` must do the same.
fn tokio_context() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("building a tokio runtime for tokio::fs")
    })
}

/// Polls `future` inside the tokio runtime's context.
async fn in_tokio<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    std::future::poll_fn(|cx| {
        let _context = tokio_context().enter();
        future.as_mut().poll(cx)
    })
    .await
}

/// A body polled inside the tokio runtime's context.
struct InTokio<B>(Pin<Box<B>>);

impl<B: http_body::Body> http_body::Body for InTokio<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<B::Data>, B::Error>>> {
        let _context = tokio_context().enter();
        self.0.as_mut().poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.0.size_hint()
    }
}

fn tower_response(reply: Reply) -> Response<HttpBody> {
    let declared = reply.declared_length().map(HeaderValue::from);
    let body = match reply.body {
        ReplyBody::Full(bytes) => boxed(Full::new(bytes)),
        ReplyBody::Empty => boxed(Empty::new()),
        ReplyBody::Chunks(chunks) => boxed(chunks),
        ReplyBody::Events(stream) => boxed(stream),
    };
    let mut response = Response::new(body);
    *response.status_mut() = reply.status;
    if let Some(declared) = declared {
        response
            .headers_mut()
            .insert(http::header::CONTENT_LENGTH, declared);
    }
    for (name, value) in reply.headers {
        response
            .headers_mut()
            .insert(name, HeaderValue::from_str(&value).expect("a header value"));
    }
    response
}

fn boxed<B>(body: B) -> HttpBody
where
    B: http_body::Body<Data = Bytes, Error = Infallible> + Send + 'static,
{
    body.map_err(|never| match never {}).boxed_unsync()
}
