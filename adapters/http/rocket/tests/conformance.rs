//! C23: the HTTP suite on Rocket 0.5. Each check describes its app as data
//! (`background_tasks_conformance::http::App`); this harness builds it with Rocket's own types
//! (its server, a `Handler` mounted on every path, the `BackgroundTasks` request guard and a
//! dependency as a guard of its own, `BackgroundTasksFairing`, `NamedFile`), and runs the server
//! and the tasks on one tokio runtime of one async worker.
//!
//! Rocket 0.5 binds its own listener from its configuration and takes no listener from outside,
//! so the harness frees the suite's listener and has Rocket bind the same port on 127.0.0.1, then
//! waits for Rocket's liftoff before the check talks to it. Its sockets then have the system's
//! send buffers rather than the suite's small one; the checks that need a paused client to hold a
//! body back say so when buffers let a body end behind the client's back.

use std::io::Cursor;
use std::net::{Ipv4Addr, TcpListener};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::mpsc;
use std::task::{Context, Poll};

use background_tasks::{BackgroundTasks, MissingBackgroundTasks};
use background_tasks_conformance::http::{
    Action, App, HttpHarness, Reply, ReplyBody, RequestView, WAIT_LIMIT, deliberate_panic,
};
use background_tasks_conformance::{Harness, framework_http_conformance_suite, yield_now};
use background_tasks_rocket::BackgroundTasksFairing;
use background_tasks_tokio::TokioExecutor;
use rocket::fairing::AdHoc;
use rocket::fs::NamedFile;
use rocket::http::{Header, Method, Status};
use rocket::outcome::try_outcome;
use rocket::request::{FromRequest, Outcome};
use rocket::response::Response;
use rocket::route::{self, Handler, Route};
use rocket::tokio::io::{AsyncRead, AsyncSeek, ReadBuf};
use rocket::{Data, Request};

/// Rocket with its server and its tasks on a tokio runtime of one async worker.
struct Rocket {
    runtime: rocket::tokio::runtime::Runtime,
}

impl Harness for Rocket {
    type Executor = TokioExecutor;

    fn new() -> Self {
        Self {
            runtime: rocket::tokio::runtime::Builder::new_multi_thread()
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

/// The check's app, as Rocket manages it.
type SuiteApp = Arc<App<TokioExecutor>>;

impl HttpHarness for Rocket {
    fn serve_app(&self, listener: TcpListener, mut app: App<TokioExecutor>) {
        assert!(
            app.compression.is_none(),
            "Rocket 0.5 has no response compressor of its own"
        );
        let on_report = app.on_report.clone();
        let fairing = match app.runner.take() {
            Some(runner) => BackgroundTasksFairing::with_runner(runner),
            None => BackgroundTasksFairing::new(self.executor()),
        }
        .on_disconnect(app.on_disconnect)
        .statuses(app.statuses)
        .on_report(move |report| on_report(report));
        let status = app.status.take();
        let app: SuiteApp = Arc::new(app);
        let routes: Vec<Route> = [Method::Get, Method::Post, Method::Put, Method::Delete]
            .into_iter()
            .map(|method| Route::new(method, "/<path..>", Suite(app.clone())))
            .collect();

        // Rocket binds its own listener: free the suite's port for it.
        let port = listener
            .local_addr()
            .expect("the listener's address")
            .port();
        drop(listener);
        let mut config = rocket::Config::debug_default();
        config.address = Ipv4Addr::LOCALHOST.into();
        config.port = port;
        config.log_level = rocket::config::LogLevel::Off;
        config.cli_colors = false;
        config.shutdown.ctrlc = false;
        #[cfg(unix)]
        config.shutdown.signals.clear();
        let (lifted, liftoff) = mpsc::channel::<Result<(), String>>();
        let on_liftoff = lifted.clone();
        let rocket = rocket::custom(config)
            .manage(app)
            .attach(fairing)
            .attach(AdHoc::on_liftoff("liftoff", move |_| {
                Box::pin(async move {
                    let _ = on_liftoff.send(Ok(()));
                })
            }))
            .mount("/", routes);
        // The status page at its prefix, ranked ahead of the app's catch-all.
        let rocket = match status {
            Some((prefix, page)) => rocket.mount(prefix, page.rocket_routes()),
            None => rocket,
        };
        // The server lives as long as the runtime, which the harness drops after the check.
        self.runtime.spawn(async move {
            if let Err(error) = rocket.launch().await {
                let _ = lifted.send(Err(error.to_string()));
            }
        });
        liftoff
            .recv_timeout(WAIT_LIMIT)
            .expect("Rocket lifts off")
            .unwrap_or_else(|error| panic!("Rocket failed to launch on port {port}: {error}"));
    }
}

// What Rocket 0.5 itself does not let an integration see, checked to fail (the suite's
// `known_gaps`): the checks run, and their tests fail once they pass.
framework_http_conformance_suite!(rocket_http, Rocket, known_gaps: [
    c08_compressed_body_runs_tasks_after_its_end =>
        "Rocket 0.5 has no response compressor of its own",
    c11_client_leaving_while_the_handler_works_is_a_disconnect =>
        "Rocket runs a handler on a task of its own that it never cancels when the client leaves",
    c12_panicking_handler_runs_none_of_its_tasks =>
        "Rocket catches a handler's panic and answers it with its 500 catcher, which a fairing \
         cannot tell apart from a handler's own 500: the tasks run, as for any 500",
    c14_every_task_runs_exactly_once_under_load =>
        "Rocket notices a client that left only when it next hands a chunk to hyper: a held \
         body's queue is not reported while its client is gone (5 % of the load)",
]);

/// What the check's handler sees of the request.
fn view(request: &Request<'_>) -> RequestView {
    RequestView {
        method: request.method().as_str().to_owned(),
        path: request.uri().path().as_str().to_owned(),
        query: request.uri().query().map(|query| query.as_str().to_owned()),
    }
}

/// The check's dependency, as a FastAPI dependency is in Rocket: a request guard, run before the
/// handler, that takes the request's queue.
struct Dependency;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Dependency {
    type Error = MissingBackgroundTasks;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let app = request.rocket().state::<SuiteApp>().expect("the app");
        if let Some(dependency) = &app.dependency {
            let tasks = try_outcome!(request.guard::<BackgroundTasks>().await);
            dependency(&view(request), &tasks);
        }
        Outcome::Success(Self)
    }
}

/// Every path: the check's handler, with the queue from the `BackgroundTasks` guard.
#[derive(Clone)]
struct Suite(SuiteApp);

#[rocket::async_trait]
impl Handler for Suite {
    async fn handle<'r>(&self, request: &'r Request<'_>, _data: Data<'r>) -> route::Outcome<'r> {
        if let Outcome::Error((status, _)) = request.guard::<Dependency>().await {
            return route::Outcome::Error(status);
        }
        let tasks = match request.guard::<BackgroundTasks>().await {
            Outcome::Success(tasks) => tasks,
            Outcome::Error((status, _)) | Outcome::Forward(status) => {
                return route::Outcome::Error(status);
            }
        };
        match (self.0.handler)(&view(request), &tasks) {
            Action::Respond(reply) => route::Outcome::Success(response(reply)),
            Action::File(path) => {
                let file = NamedFile::open(&path)
                    .await
                    .unwrap_or_else(|e| panic!("opening {}: {e}", path.display()));
                route::Outcome::from(request, file)
            }
            Action::Panic => deliberate_panic("the handler"),
            Action::PanicInFuture => {
                yield_now().await;
                deliberate_panic("the handler's future")
            }
            Action::Hang => std::future::pending().await,
            other => panic!("an action this harness does not know: {other:?}"),
        }
    }
}

fn response(reply: Reply) -> Response<'static> {
    let mut response = Response::build();
    response.status(Status::new(reply.status.as_u16()));
    let declared = reply.declared_length();
    if let Some(length) = declared {
        // A stream whose length only the `Content-Length` header tells.
        response.raw_header("Content-Length", length.to_string());
    }
    for (name, value) in reply.headers {
        response.header(Header::new(name, value));
    }
    match reply.body {
        ReplyBody::Full(bytes) => response.sized_body(bytes.len(), Cursor::new(bytes)),
        ReplyBody::Empty => response.sized_body(0, Cursor::new(Vec::new())),
        ReplyBody::Chunks(chunks) => match http_body::Body::size_hint(&chunks).exact() {
            Some(length) if declared.is_none() => {
                response.sized_body(length as usize, BodyReader::new(chunks))
            }
            _ => response.streamed_body(BodyReader::new(chunks)),
        },
        ReplyBody::Events(stream) => response.streamed_body(BodyReader::new(stream)),
        other => panic!("a body this harness does not know: {other:?}"),
    };
    response.finalize()
}

/// A body of the suite (`Chunks`, `EventStream`) as Rocket reads bodies: an `AsyncRead` of its
/// frames, each handed over as soon as it comes.
struct BodyReader<B> {
    body: Pin<Box<B>>,
    rest: rocket::http::hyper::body::Bytes,
}

impl<B> BodyReader<B> {
    fn new(body: B) -> Self {
        Self {
            body: Box::pin(body),
            rest: Default::default(),
        }
    }
}

impl<B> AsyncRead for BodyReader<B>
where
    // The suite's `Bytes` (bytes 1) are the ones Rocket's hyper 0.14 uses too.
    B: http_body::Body<Data = rocket::http::hyper::body::Bytes, Error = std::convert::Infallible>,
{
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        while this.rest.is_empty() {
            match this.body.as_mut().poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => return Poll::Ready(Ok(())),
                Poll::Ready(Some(Ok(frame))) => {
                    if let Ok(data) = frame.into_data() {
                        this.rest = data;
                    }
                }
                Poll::Ready(Some(Err(never))) => match never {},
            }
        }
        let n = this.rest.len().min(buf.remaining());
        buf.put_slice(&this.rest.split_to(n));
        Poll::Ready(Ok(()))
    }
}

/// Rocket seeks a sized body only to find a size it was not given; these bodies are given theirs.
impl<B> AsyncSeek for BodyReader<B> {
    fn start_seek(self: Pin<&mut Self>, _: std::io::SeekFrom) -> std::io::Result<()> {
        Err(std::io::ErrorKind::Unsupported.into())
    }

    fn poll_complete(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<u64>> {
        Poll::Ready(Err(std::io::ErrorKind::Unsupported.into()))
    }
}
