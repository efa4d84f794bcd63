//! C1, C13: the Rocket request guard. Guards ("dependencies") and the handler share one queue,
//! run in the order tasks were added; the guard without the fairing fails the request with a
//! `500` and an error event naming the fairing, and `Option<BackgroundTasks>` does without (real
//! TCP).

mod common;

use background_tasks::{BackgroundTasks, MissingBackgroundTasks};
use background_tasks_conformance::http::{Client, Events, Reports};
use background_tasks_rocket::{BackgroundTasksFairing, Decision, Ending};
use rocket::http::ContentType;
use rocket::outcome::try_outcome;
use rocket::request::{FromRequest, Outcome};
use rocket::{Request, State, get, post, routes};

/// FastAPI's `get_query` dependency: logs the query in the background when there is one.
struct QueryLog;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for QueryLog {
    type Error = MissingBackgroundTasks;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let tasks = try_outcome!(request.guard::<BackgroundTasks>().await);
        let log = request.rocket().state::<Events>().expect("the log").clone();
        if let Some(Ok(q)) = request.query_value::<String>("q") {
            tasks.add_task(move || log.push(format!("found query: {q}")));
        }
        Outcome::Success(Self)
    }
}

#[post("/send-notification/<email>")]
fn send_notification(
    log: &State<Events>,
    email: String,
    _q: QueryLog,
    tasks: BackgroundTasks,
) -> (ContentType, &'static str) {
    let log = log.inner().clone();
    tasks.add_task(move || log.push(format!("message to {email}")));
    (ContentType::JSON, r#"{"message":"Message sent"}"#)
}

#[get("/optional")]
fn optional(tasks: Option<BackgroundTasks>) -> &'static str {
    if tasks.is_some() {
        "with a queue"
    } else {
        "without"
    }
}

#[test]
fn c01_guards_and_handler_share_one_queue_in_order() {
    let (log, reports) = (Events::default(), Reports::default());
    let runtime = common::runtime();
    let fairing = BackgroundTasksFairing::new(common::executor(&runtime)).on_report(reports.hook());
    let rocket = common::quiet_rocket()
        .manage(log.clone())
        .attach(fairing)
        .mount("/", routes![send_notification, optional]);
    let server = common::launch(&runtime, rocket, |rocket| async move {
        rocket.launch().await.map(drop).map_err(|e| e.to_string())
    });

    let mut client = Client::connect(server.addr);
    let (head, body) = client.request("POST", "/send-notification/ada@example.com?q=rust");
    assert_eq!(
        (head.status, &*body),
        (200, &br#"{"message":"Message sent"}"#[..])
    );
    let report = reports.take("/send-notification/ada@example.com");
    assert_eq!(
        (
            report.ending(),
            report.decision(),
            report.run().tasks().len()
        ),
        (Ending::Completed, Decision::Ran, 2),
        "{report:?}"
    );
    assert_eq!(
        log.snapshot(),
        ["found query: rust", "message to ada@example.com"]
    );
    assert_eq!(client.request("GET", "/optional").1, b"with a queue");
    server.shutdown.notify();
}

/// The `error` field of every `tracing` error event, from any thread (Rocket's workers log it).
fn error_events() -> &'static std::sync::Mutex<Vec<String>> {
    static EVENTS: std::sync::OnceLock<&'static std::sync::Mutex<Vec<String>>> =
        std::sync::OnceLock::new();
    EVENTS.get_or_init(|| {
        let events: &'static _ = Box::leak(Box::default());
        tracing::subscriber::set_global_default(ErrorEvents(events))
            .expect("the only subscriber of this test binary");
        events
    })
}

/// A subscriber that keeps the `error` field of error events.
struct ErrorEvents(&'static std::sync::Mutex<Vec<String>>);

impl tracing::Subscriber for ErrorEvents {
    fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
        *metadata.level() == tracing::Level::ERROR
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        struct Field(Option<String>);
        impl tracing::field::Visit for Field {
            fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
                if field.name() == "error" {
                    self.0 = Some(value.to_owned());
                }
            }
            fn record_debug(&mut self, _: &tracing::field::Field, _: &dyn std::fmt::Debug) {}
        }
        let mut field = Field(None);
        event.record(&mut field);
        if let Some(error) = field.0 {
            self.0.lock().unwrap().push(error);
        }
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[test]
fn c13_guard_without_the_fairing_fails_the_request_naming_the_fairing() {
    let errors = error_events();
    let log = Events::default();
    let runtime = common::runtime();
    let rocket = common::quiet_rocket()
        .manage(log.clone())
        .mount("/", routes![send_notification, optional]);
    let server = common::launch(&runtime, rocket, |rocket| async move {
        rocket.launch().await.map(drop).map_err(|e| e.to_string())
    });

    let mut client = Client::connect(server.addr);
    let (head, _) = client.request("POST", "/send-notification/ada@example.com");
    assert_eq!(head.status, 500);
    // Rocket's 500 catcher does not see the guard's error: the error event names the fix.
    let named = errors.lock().unwrap().iter().any(|error| {
        error.contains("BackgroundTasksFairing")
            && error.contains("rocket::build().attach(BackgroundTasksFairing::new(")
    });
    assert!(named, "{:?}", errors.lock().unwrap());
    // `Option<BackgroundTasks>` does without.
    assert_eq!(client.request("GET", "/optional").1, b"without");
    assert!(log.snapshot().is_empty());
    server.shutdown.notify();
}
