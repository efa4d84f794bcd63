//! C23 on salvo 0.85: the HTTP suite with `BackgroundTasksLayer` as a salvo hoop through salvo's
//! own tower compatibility (`TowerLayerCompat::compat`), on salvo's server (HTTP/1.1 and h2c) on
//! the suite's listener, a tokio runtime of one async worker. salvo needs no integration of its
//! own: the hoops and the goal after the layer run inside it, and reach the request's queue with
//! `BackgroundTasks::current()` (the dependency as a hoop, FastAPI style). Files are salvo's
//! `NamedFile`, compression its `Compression` hoop, a panic answered by its `CatchPanic` hoop.

use std::convert::Infallible;
use std::net::TcpListener as StdTcpListener;
use std::sync::Arc;

use background_tasks::BackgroundTasks;
use background_tasks_conformance::http::{
    Action, App, Compression, HttpHarness, Reply, ReplyBody, RequestView, deliberate_panic,
};
use background_tasks_conformance::{Harness, framework_http_conformance_suite, yield_now};
use background_tasks_tokio::TokioExecutor;
use background_tasks_tower::BackgroundTasksLayer;
use bytes::Bytes;
use salvo::BoxedError;
use salvo::catch_panic::CatchPanic;
use salvo::compression::Compression as Compressor;
use salvo::conn::tcp::TcpAcceptor;
use salvo::fs::NamedFile;
use salvo::http::{ReqBody, ResBody};
use salvo::prelude::{TowerLayerCompat, TowerServiceCompat, async_trait};
use salvo::{Depot, FlowCtrl, Handler, Request, Response, Router, Server};

/// salvo on a tokio runtime of one async worker.
struct Salvo {
    runtime: tokio::runtime::Runtime,
}

impl Harness for Salvo {
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

/// The check's app, as the hoop and the goal reach it.
type SuiteApp = Arc<App<TokioExecutor>>;

impl HttpHarness for Salvo {
    fn serve_app(&self, listener: StdTcpListener, mut app: App<TokioExecutor>) {
        let on_report = app.on_report.clone();
        let layer = match app.runner.take() {
            Some(runner) => BackgroundTasksLayer::with_runner(runner),
            None => BackgroundTasksLayer::new(self.executor()),
        }
        .on_disconnect(app.on_disconnect)
        .statuses(app.statuses)
        .on_report(move |report| on_report(report));
        let (catch_panics, compression) = (app.catch_panics, app.compression);
        let status = app.status.take();
        let app: SuiteApp = Arc::new(app);

        let _context = self.runtime.enter();
        // salvo's hoop order: each one wraps the hoops and the goal after it.
        let mut router = Router::new();
        if catch_panics {
            // Outside the layer, as tower-http's `CatchPanicLayer` on tower.
            router = router.hoop(CatchPanic::new());
        }
        if compression == Some(Compression::Outside) {
            router = router.hoop(Compressor::new());
        }
        router = router.hoop(layer.compat::<ReqBody>());
        if compression == Some(Compression::Inside) {
            router = router.hoop(Compressor::new());
        }
        let suite = Suite(app.clone());
        let router = router
            .hoop(Dependency(app))
            .goal(suite.clone())
            .push(Router::with_path("{**rest}").goal(suite));
        // The status page as a tower service through salvo's compatibility (its body is `Sync`,
        // as that asks), routed before the app and outside its layer.
        let router = match status {
            Some((prefix, page)) => Router::new()
                .push(
                    Router::with_path(format!("{}/{{**rest}}", prefix.trim_end_matches('/'))).goal(
                        TowerServiceCompat::<ReqBody, _, _, _>::compat(page.service()),
                    ),
                )
                .push(router),
            None => router,
        };
        let listener =
            tokio::net::TcpListener::from_std(listener).expect("tokio takes the listener");
        let acceptor = TcpAcceptor::try_from(listener).expect("salvo takes the listener");
        // The server lives as long as the runtime, which the harness drops after the check.
        self.runtime.spawn(Server::new(acceptor).serve(router));
    }
}

// What salvo 0.85's tower compatibility changes on the wire, checked to fail (each still runs):
// a body of known length that passes through it (the layer's body, boxed into salvo's
// `ResBody::Boxed`) is sent chunked, without its `Content-Length`, and salvo's `Compression` hoop
// leaves such a body uncompressed. The tasks' timing is not what these checks fail on: they stop
// at the response's headers.
framework_http_conformance_suite!(salvo_http, Salvo, known_gaps: [
    c08_full_body_runs_tasks => crate::LENGTH_LOST,
    c08_content_length_body_runs_tasks_after_its_last_frame => crate::LENGTH_LOST,
    c08_paused_client_delays_tasks_until_it_reads_the_rest => crate::LENGTH_LOST,
    c08_compressed_body_runs_tasks_after_its_end =>
        "salvo's Compression hoop does not compress a body that came through its tower compatibility",
]);

/// Why salvo's answers through its tower compatibility lack their `Content-Length`.
const LENGTH_LOST: &str = "a body of known length that passes through salvo's tower \
    compatibility is sent chunked, without its Content-Length";

/// What the check's handler sees of the request.
fn view(request: &Request) -> RequestView {
    RequestView {
        method: request.method().to_string(),
        path: request.uri().path().to_owned(),
        query: request.uri().query().map(str::to_owned),
    }
}

/// The check's dependency, as a salvo hoop before the goal: it takes the request's queue.
struct Dependency(SuiteApp);

#[async_trait]
impl Handler for Dependency {
    async fn handle(
        &self,
        request: &mut Request,
        _: &mut Depot,
        _: &mut Response,
        _: &mut FlowCtrl,
    ) {
        if let Some(dependency) = &self.0.dependency {
            let tasks = BackgroundTasks::try_current().unwrap_or_else(|e| panic!("{e}"));
            dependency(&view(request), &tasks);
        }
    }
}

/// Every path: the check's handler, with the queue the layer put in scope.
#[derive(Clone)]
struct Suite(SuiteApp);

#[async_trait]
impl Handler for Suite {
    async fn handle(
        &self,
        request: &mut Request,
        _: &mut Depot,
        response: &mut Response,
        _: &mut FlowCtrl,
    ) {
        let tasks = BackgroundTasks::try_current().unwrap_or_else(|e| panic!("{e}"));
        match (self.0.handler)(&view(request), &tasks) {
            Action::Respond(reply) => respond(response, reply),
            Action::File(path) => {
                NamedFile::builder(path)
                    .send(request.headers(), response)
                    .await
            }
            Action::Panic => deliberate_panic("the handler"),
            Action::PanicInFuture => {
                yield_now().await;
                deliberate_panic("the handler's future")
            }
            Action::Hang => match std::future::pending::<Infallible>().await {},
            other => panic!("an action this harness does not know: {other:?}"),
        }
    }
}

fn respond(response: &mut Response, reply: Reply) {
    response.status_code(reply.status);
    if let Some(length) = reply.declared_length() {
        // A stream whose length only the `Content-Length` header tells.
        response
            .headers_mut()
            .insert(http::header::CONTENT_LENGTH, length.into());
    }
    for (name, value) in reply.headers {
        response
            .headers_mut()
            .insert(name, value.parse().expect("a header value"));
    }
    response.body(match reply.body {
        ReplyBody::Full(bytes) => ResBody::Once(bytes),
        ReplyBody::Empty => ResBody::Once(Bytes::new()),
        ReplyBody::Chunks(chunks) => boxed(chunks),
        ReplyBody::Events(stream) => boxed(stream),
        other => panic!("a body this harness does not know: {other:?}"),
    });
}

/// A body of the suite as a salvo body, its `size_hint` and `is_end_stream` kept.
fn boxed<B>(body: B) -> ResBody
where
    B: http_body::Body<Data = Bytes, Error = Infallible> + Send + Sync + 'static,
{
    use http_body_util::BodyExt as _;
    ResBody::Boxed(Box::pin(
        body.map_err(|never| -> BoxedError { match never {} }),
    ))
}
