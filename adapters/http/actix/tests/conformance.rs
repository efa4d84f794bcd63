//! C23: the HTTP suite on actix-web. Each check describes its app as data
//! (`background_tasks_conformance::http::App`); this harness builds it with actix-web's own types
//! (`HttpServer`, `App::default_service`, `BackgroundTasksMiddleware`, the `BackgroundTasks`
//! extractor, a dependency as a `FromRequest` extractor, `Compress`, actix-files' `NamedFile`),
//! serves it on the suite's listener, and runs the tasks on a tokio runtime the harness owns, as
//! an application would.

mod common;

use std::future::{Ready, ready};
use std::net::TcpListener;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};

use actix_files::NamedFile;
use actix_web::body::{BodySize, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::{Compress, Condition, Next, from_fn};
use actix_web::web::{self, Bytes};
use actix_web::{FromRequest, HttpRequest, HttpResponse, HttpServer};
use background_tasks::BackgroundTasks;
use background_tasks_actix::BackgroundTasksMiddleware;
use background_tasks_conformance::http::{
    Action, App, Compression, HttpHarness, Reply, ReplyBody, RequestView, deliberate_panic,
};
use background_tasks_conformance::{Harness, framework_http_conformance_suite, yield_now};
use background_tasks_tokio::TokioExecutor;
use common::ActixServer;
use futures_lite::FutureExt as _;

/// actix-web with its tasks on a tokio runtime of one async worker that the harness owns.
struct Actix {
    // Dropped first: the servers stop before the tasks' runtime goes.
    servers: Mutex<Vec<ActixServer>>,
    runtime: tokio::runtime::Runtime,
}

impl Harness for Actix {
    type Executor = TokioExecutor;

    fn new() -> Self {
        Self {
            servers: Mutex::default(),
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

impl HttpHarness for Actix {
    // actix-web polls the body of a response to `HEAD` to its end, and sends none of it.
    const POLLS_HEAD_BODIES: bool = true;

    fn serve_app(&self, listener: TcpListener, mut app: App<TokioExecutor>) {
        let on_report = app.on_report.clone();
        let middleware = match app.runner.take() {
            Some(runner) => BackgroundTasksMiddleware::with_runner(runner),
            None => BackgroundTasksMiddleware::new(self.executor()),
        }
        .on_disconnect(app.on_disconnect)
        .statuses(app.statuses)
        .on_report(move |report| on_report(report));
        let status = app.status.take();
        let server = ActixServer::spawn(listener, move |listener| {
            let (catch_panics, compression) = (app.catch_panics, app.compression);
            let app = web::Data::new(app);
            HttpServer::new(move || {
                // actix-web's `wrap` order: each one wraps everything registered before it.
                let mut routes = actix_web::App::new();
                if let Some((prefix, page)) = &status {
                    routes = routes.service(page.actix_scope(prefix));
                }
                routes
                    .app_data(app.clone())
                    .wrap(Condition::new(
                        compression == Some(Compression::Inside),
                        Compress::default(),
                    ))
                    .wrap(middleware.clone())
                    .wrap(Condition::new(
                        compression == Some(Compression::Outside),
                        Compress::default(),
                    ))
                    // Outside the middleware, as tower-http's `CatchPanicLayer` on tower.
                    .wrap(Condition::new(catch_panics, from_fn(catch_panic)))
                    .default_service(web::to(handle))
            })
            .workers(1)
            // actix-web drops a handler whose client left only when it does not wait for a
            // half-closed client's next bytes; by default it finishes the handler.
            .h1_allow_half_closed(false)
            .disable_signals()
            // HTTP/1.1, and HTTP/2 with prior knowledge, as the suite's h2c checks speak it.
            .listen_auto_h2c(listener)
            .expect("actix-web takes the suite's listener")
            .run()
        });
        self.servers.lock().unwrap().push(server);
    }
}

framework_http_conformance_suite!(actix_http, Actix);

/// What the check's handler sees of the request.
fn view(request: &HttpRequest) -> RequestView {
    let query = request.query_string();
    RequestView {
        method: request.method().to_string(),
        path: request.path().to_owned(),
        query: (!query.is_empty()).then(|| query.to_owned()),
    }
}

/// The check's dependency, as a FastAPI dependency is in actix-web: an extractor, run before the
/// handler, that takes the request's queue.
struct Dependency;

impl FromRequest for Dependency {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let app = request
            .app_data::<web::Data<App<TokioExecutor>>>()
            .expect("the app");
        if let Some(dependency) = &app.dependency {
            let tasks = match BackgroundTasks::from_request(request, payload).into_inner() {
                Ok(tasks) => tasks,
                Err(missing) => return ready(Err(missing.into())),
            };
            dependency(&view(request), &tasks);
        }
        ready(Ok(Self))
    }
}

/// Every path: the check's handler, with the queue from the `BackgroundTasks` extractor.
async fn handle(
    request: HttpRequest,
    _dependency: Dependency,
    tasks: BackgroundTasks,
    app: web::Data<App<TokioExecutor>>,
) -> HttpResponse {
    match (app.handler)(&view(&request), &tasks) {
        Action::Respond(reply) => response(reply),
        Action::File(path) => NamedFile::open(&path)
            .unwrap_or_else(|e| panic!("opening {}: {e}", path.display()))
            .into_response(&request),
        Action::Panic => deliberate_panic("the handler"),
        Action::PanicInFuture => {
            yield_now().await;
            deliberate_panic("the handler's future")
        }
        Action::Hang => std::future::pending().await,
        other => panic!("an action this harness does not know: {other:?}"),
    }
}

fn response(reply: Reply) -> HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(reply.status.as_u16()).expect("a status");
    let mut response = HttpResponse::build(status);
    for (name, value) in &reply.headers {
        response.insert_header((*name, value.as_str()));
    }
    if let Some(length) = reply.declared_length() {
        // A stream whose length only the `Content-Length` header tells.
        response.no_chunking(length);
    }
    match reply.body {
        ReplyBody::Full(bytes) => response.body(bytes),
        ReplyBody::Empty => response.finish(),
        ReplyBody::Chunks(chunks) => response.body(SuiteBody(chunks)),
        ReplyBody::Events(stream) => response.body(SuiteBody(stream)),
        other => panic!("a body this harness does not know: {other:?}"),
    }
}

/// A body of the suite (`Chunks`, `EventStream`) as an actix-web body: its exact size when it has one, a stream otherwise.
struct SuiteBody<B>(B);

impl<B> MessageBody for SuiteBody<B>
where
    B: http_body::Body<Data = Bytes, Error = std::convert::Infallible> + Unpin,
{
    type Error = std::convert::Infallible;

    fn size(&self) -> BodySize {
        match http_body::Body::size_hint(&self.0).exact() {
            Some(length) => BodySize::Sized(length),
            None => BodySize::Stream,
        }
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        let chunks = Pin::new(&mut self.get_mut().0);
        match http_body::Body::poll_frame(chunks, cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Ready(Some(Ok(frame))) => {
                Poll::Ready(Some(Ok(frame.into_data().expect("chunks are data frames"))))
            }
            Poll::Ready(Some(Err(never))) => match never {},
        }
    }
}

/// Answers a panicking handler `500`, as tower-http's `CatchPanicLayer` does.
async fn catch_panic(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let http_request = request.request().clone();
    match AssertUnwindSafe(async move { next.call(request).await })
        .catch_unwind()
        .await
    {
        Ok(response) => Ok(response?.map_into_left_body()),
        Err(_) => Ok(ServiceResponse::new(
            http_request,
            HttpResponse::InternalServerError().finish(),
        )
        .map_into_right_body()),
    }
}
