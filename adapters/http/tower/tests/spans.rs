//! C25: the queue's span carries OpenTelemetry's HTTP field names and follows from the request's
//! span (tower-http's `TraceLayer` here) instead of nesting under whatever span is current when
//! the body ends; the task's span nests under the queue's.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use background_tasks::BackgroundTasks;
use background_tasks_tokio::TokioExecutor;
use background_tasks_tower::BackgroundTasksLayer;
use tower_http::trace::TraceLayer;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// What the recording layer saw of one span.
#[derive(Debug, Clone, Default)]
struct Recorded {
    name: String,
    fields: HashMap<String, String>,
    parent: Option<String>,
    follows_from: Vec<String>,
}

/// Every span by id, with its fields, parent and `follows_from` links (by span name).
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<HashMap<u64, Recorded>>>);

struct Fields<'a>(&'a mut HashMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl<S> tracing_subscriber::Layer<S> for Recorder
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attributes: &Attributes<'_>, id: &Id, context: Context<'_, S>) {
        let mut recorded = Recorded {
            name: attributes.metadata().name().to_owned(),
            ..Recorded::default()
        };
        attributes.record(&mut Fields(&mut recorded.fields));
        recorded.parent = context
            .span(id)
            .and_then(|span| span.parent())
            .map(|parent| parent.name().to_owned());
        self.0.lock().unwrap().insert(id.into_u64(), recorded);
    }

    fn on_follows_from(&self, span: &Id, follows: &Id, context: Context<'_, S>) {
        let follows = context
            .span(follows)
            .map(|span| span.name().to_owned())
            .unwrap_or_default();
        if let Some(recorded) = self.0.lock().unwrap().get_mut(&span.into_u64()) {
            recorded.follows_from.push(follows);
        }
    }
}

impl Recorder {
    fn named(&self, name: &str) -> Vec<Recorded> {
        let spans = self.0.lock().unwrap();
        spans.values().filter(|s| s.name == name).cloned().collect()
    }
}

#[test]
fn c25_the_queue_span_follows_from_the_request_span_with_otel_http_fields() {
    let recorder = Recorder::default();
    // Tasks run on other threads: only a global subscriber sees their spans.
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(recorder.clone()))
        .expect("the only subscriber of this test process");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (ran, task_ran) = mpsc::channel::<()>();
    let ran = Arc::new(Mutex::new(ran));
    let layer = BackgroundTasksLayer::new(TokioExecutor::from_handle(runtime.handle().clone()));
    let app = axum::Router::new()
        .route(
            "/orders/{id}",
            axum::routing::post(move |tasks: BackgroundTasks| {
                let ran = Arc::clone(&ran);
                async move {
                    tasks.add_task(move || {
                        let _ = ran.lock().unwrap().send(());
                    });
                    "accepted"
                }
            }),
        )
        .layer(layer)
        // Outermost: its span is current while the handler runs and while the body is sent.
        .layer(TraceLayer::new_for_http());
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    runtime.spawn(async move { axum::serve(listener, app).await });

    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .write_all(b"POST /orders/7?token=secret HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    task_ran
        .recv_timeout(Duration::from_secs(10))
        .expect("the task ran");

    let queues = recorder.named("background_tasks");
    let [queue] = queues.as_slice() else {
        panic!("one queue span, got {queues:?}")
    };
    assert_eq!(queue.parent, None, "a root span, not a child: {queue:?}");
    assert_eq!(queue.follows_from, ["request"], "{queue:?}");
    assert_eq!(
        (
            queue.fields.get("http.request.method").map(String::as_str),
            queue.fields.get("url.path").map(String::as_str),
            queue.fields.get("otel.name").map(String::as_str),
        ),
        (
            Some("POST"),
            Some("/orders/7"),
            Some("background_tasks POST")
        ),
        "{queue:?}"
    );
    let tasks = recorder.named("background_task");
    let [task] = tasks.as_slice() else {
        panic!("one task span, got {tasks:?}")
    };
    assert_eq!(task.parent.as_deref(), Some("background_tasks"), "{task:?}");
    assert_eq!(task.fields.get("kind").map(String::as_str), Some("sync"));
}
