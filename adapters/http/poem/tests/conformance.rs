//! C23: the HTTP suite on poem. Each check describes its app as data
//! (`background_tasks_conformance::http::App`); this harness builds it with poem's own types
//! (`Server` on a `TcpAcceptor` made from the suite's listener, a `#[handler]` with the
//! `BackgroundTasks` extractor and a dependency as a `FromRequest` extractor,
//! `BackgroundTasksMiddleware`, `Compression`, `StaticFileRequest`, `CatchPanic`), and runs the
//! server and the tasks on one tokio runtime of one async worker, as a poem application does.

use std::net::TcpListener;
use std::sync::Arc;

use background_tasks::BackgroundTasks;
use background_tasks_conformance::http::{
    Action, App, Compression, HttpHarness, Reply, ReplyBody, RequestView, deliberate_panic,
};
use background_tasks_conformance::{Harness, framework_http_conformance_suite, yield_now};
use background_tasks_poem::BackgroundTasksMiddleware;
use background_tasks_tokio::TokioExecutor;
use http_body_util::BodyExt as _;
use poem::http::StatusCode;
use poem::listener::TcpAcceptor;
use poem::middleware::{CatchPanic, Compression as Compressor};
use poem::web::{Data, StaticFileRequest};
use poem::{
    Body, EndpointExt, FromRequest, IntoResponse, Request, RequestBody, Response, Route, Server,
    handler,
};

/// poem with its server and its tasks on a tokio runtime of one async worker.
struct Poem {
    runtime: tokio::runtime::Runtime,
}

impl Harness for Poem {
    type Executor = TokioExecutor;

    fn new() -> Self {
        Self {
            runtime: tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap(),
        }
    }

    fn executor(&self) -> TokioExecutor {
        TokioExecutor::from_handle(self.runtime.handle().clone())
    }

    fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }
}

/// The check's app, as the handler reaches it (`Data`).
type SuiteApp = Arc<App<TokioExecutor>>;

impl HttpHarness for Poem {
    fn serve_app(&self, listener: TcpListener, mut app: App<TokioExecutor>) {
        let on_report = app.on_report.clone();
        let middleware = match app.runner.take() {
            Some(runner) => BackgroundTasksMiddleware::with_runner(runner),
            None => BackgroundTasksMiddleware::new(self.executor()),
        }
        .on_disconnect(app.on_disconnect)
        .statuses(app.statuses)
        .on_report(move |report| on_report(report));
        let (catch_panics, compression) = (app.catch_panics, app.compression);
        let status = app.status.take();
        // poem's `with` order: each one wraps everything before it.
        let endpoint = handle
            .data(Arc::new(app))
            .with_if(compression == Some(Compression::Inside), Compressor::new())
            .with(middleware)
            .with_if(compression == Some(Compression::Outside), Compressor::new())
            // Outside the middleware, as tower-http's `CatchPanicLayer` on tower.
            .with_if(catch_panics, CatchPanic::new());
        // The status page beside the app, outside its middleware, as an application nests it.
        let endpoint = match status {
            Some((prefix, page)) => Route::new()
                .nest(prefix.trim_end_matches('/'), page.poem_endpoint())
                .nest("/", endpoint)
                .boxed(),
            None => endpoint.map_to_response().boxed(),
        };
        let _context = self.runtime.enter();
        let acceptor = TcpAcceptor::from_std(listener).expect("poem takes the suite's listener");
        // HTTP/1.1 and HTTP/2 with prior knowledge alike (hyper-util's `auto` connection). The
        // server lives as long as the runtime, which the harness drops after the check.
        self.runtime
            .spawn(Server::new_with_acceptor(acceptor).run(endpoint));
    }
}

// poem's `Server` (3.1) keeps a connection, and the handler future or response body it holds,
// alive after its client has gone, for as long as the response has nothing to write (a handler
// at work, a body waiting for data): the integration hears of the disconnect only when the server
// stops. Seen with a bare `#[handler]` that never answers: its future is dropped when the runtime
// is, not when the client leaves. hyper-util's own `auto` server (the tower harness) drops it.
framework_http_conformance_suite!(poem_http, Poem, known_gaps: [
    c11_client_leaving_while_the_handler_works_is_a_disconnect =>
        "poem's server does not drop a handler whose client left",
    c14_every_task_runs_exactly_once_under_load =>
        "poem's server does not drop a held response body whose client left (5 % of the load)",
]);

/// What the check's handler sees of the request.
fn view(request: &Request) -> RequestView {
    RequestView {
        method: request.method().to_string(),
        path: request.uri().path().to_owned(),
        query: request.uri().query().map(str::to_owned),
    }
}

/// The check's dependency, as a FastAPI dependency is in poem: an extractor, run before the
/// handler, that takes the request's queue.
struct Dependency;

impl<'a> FromRequest<'a> for Dependency {
    async fn from_request(request: &'a Request, body: &mut RequestBody) -> poem::Result<Self> {
        let app = request.data::<SuiteApp>().expect("the app");
        if let Some(dependency) = &app.dependency {
            let tasks = BackgroundTasks::from_request(request, body).await?;
            dependency(&view(request), &tasks);
        }
        Ok(Self)
    }
}

/// Every path: the check's handler, with the queue from the `BackgroundTasks` extractor.
#[handler]
async fn handle(
    request: &Request,
    _dependency: Dependency,
    tasks: BackgroundTasks,
    file: StaticFileRequest,
    Data(app): Data<&SuiteApp>,
) -> Response {
    match (app.handler)(&view(request), &tasks) {
        Action::Respond(reply) => response(reply),
        Action::File(path) => file
            .create_response(&path, true, false)
            .unwrap_or_else(|e| panic!("opening {}: {e}", path.display()))
            .into_response(),
        Action::Panic => deliberate_panic("the handler"),
        Action::PanicInFuture => {
            yield_now().await;
            deliberate_panic("the handler's future")
        }
        Action::Hang => std::future::pending().await,
        other => panic!("an action this harness does not know: {other:?}"),
    }
}

fn response(reply: Reply) -> Response {
    let mut response =
        Response::builder().status(StatusCode::from_u16(reply.status.as_u16()).unwrap());
    if let Some(length) = reply.declared_length() {
        // A stream whose length only the `Content-Length` header tells.
        response = response.header("content-length", length);
    }
    for (name, value) in reply.headers {
        response = response.header(name, value);
    }
    response.body(match reply.body {
        ReplyBody::Full(bytes) => Body::from(bytes),
        ReplyBody::Empty => Body::empty(),
        ReplyBody::Chunks(chunks) => boxed(chunks),
        ReplyBody::Events(stream) => boxed(stream),
        other => panic!("a body this harness does not know: {other:?}"),
    })
}

/// A body of the suite (`Chunks`, `EventStream`) as a poem body, its `size_hint` and
/// `is_end_stream` kept.
fn boxed<B>(body: B) -> Body
where
    B: http_body::Body<Data = bytes::Bytes, Error = std::convert::Infallible>
        + Send
        + Sync
        + 'static,
{
    Body::from(body.map_err(|never| match never {}).boxed())
}
