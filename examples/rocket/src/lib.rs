//! FastAPI's three BackgroundTasks examples, ported to Rocket.
//!
//! Each module is one example of FastAPI's "Background Tasks" page, with the same route, the same
//! response and the same lines appended to `log.txt` as the axum, actix-web, poem, smol and
//! async-std ports; each has a binary that serves it:
//!
//! | FastAPI example | module | run with |
//! |---|---|---|
//! | Schedule a task in a path operation | [`send_notification`] | `cargo run -p background-tasks-example-rocket --bin rocket_send_notification` |
//! | Schedule tasks within dependencies | [`dependency`] | `cargo run -p background-tasks-example-rocket --bin rocket_dependency` |
//! | Using async functions | [`async_cleanup`] | `cargo run -p background-tasks-example-rocket --bin rocket_async_cleanup` |
//!
//! Then, from another terminal:
//!
//! ```text
//! curl -X POST http://127.0.0.1:8000/send-notification/ada@example.com
//! cat log.txt
//! ```
//!
//! The wiring is the same in all three: `BackgroundTasksFairing` gives every request a queue,
//! [`BackgroundTasks`](background_tasks::BackgroundTasks) is a request guard of the handler
//! (FastAPI's `background_tasks: BackgroundTasks` parameter), and the tasks run, in order, once
//! the response has been sent, on Rocket's tokio runtime: sync functions (`write_notification`,
//! `write_log`) on its blocking pool, the async one (`async_cleanup`) on its workers. Ctrl-C or
//! `SIGTERM` shuts Rocket down gracefully (its connections finish), then [`run`] drains the tasks.
//!
//! [`Settings`] come from the environment: `EXAMPLE_ADDR` (default `127.0.0.1:8000`),
//! `EXAMPLE_LOG_FILE` (default `log.txt`), `EXAMPLE_CLEANUP_MS` (default 5000),
//! `EXAMPLE_STATUS_PREFIX` (where the status page is, default `/_tasks/`). Rocket 0.5 has
//! no header-read timeout, so `EXAMPLE_HEADER_READ_TIMEOUT_MS` does not apply here; Rocket's own
//! `ROCKET_*` settings do not either: the example sets its address and quiets Rocket's log.
//!
//! # Examples
//!
//! What each binary's `main` does:
//!
//! ```no_run
//! use background_tasks_example_rocket::{Settings, run, send_notification};
//!
//! #[rocket::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let settings = Settings::from_env()?;
//!     run(&settings, send_notification::routes()).await?;
//!     Ok(())
//! }
//! ```

pub mod async_cleanup;
pub mod dependency;
pub mod send_notification;

use std::io::Cursor;
use std::sync::Arc;

pub use background_tasks_example_support::SHUTDOWN_DEADLINE;
use background_tasks_example_support::status_page;
use background_tasks_rocket::BackgroundTasksFairing;
use background_tasks_tokio::TokioExecutor;
use rocket::fairing::AdHoc;
use rocket::http::{ContentType, Method, Status};
use rocket::response::Response;
use rocket::route::{self, Handler, Route};
use rocket::{Build, Data, Request, Rocket};

/// The examples' settings, which each binary reads with [`Settings::from_env`]; by default:
///
/// ```
/// use std::time::Duration;
/// use background_tasks_example_rocket::Settings;
///
/// let settings = Settings::default();
/// assert_eq!(settings.addr.to_string(), "127.0.0.1:8000");
/// assert_eq!(settings.log_file.to_str(), Some("log.txt"));
/// assert_eq!(settings.cleanup_delay, Duration::from_secs(5));
/// ```
pub use background_tasks_example_support::Settings;

/// Serves `routes` behind a `BackgroundTasksFairing` on `settings.addr`, with the status page at
/// `settings.status_prefix` ([`with_status_page`]), printing the address it listens on (useful
/// with port 0), until Ctrl-C or `SIGTERM`; then the page's live streams end, Rocket lets its
/// connections finish, and the background tasks are drained for up to [`SHUTDOWN_DEADLINE`].
/// Call inside Rocket's runtime (`#[rocket::main]`).
///
/// # Errors
///
/// Rocket's, when it cannot bind the address or fails.
pub async fn run(settings: &Settings, routes: Vec<Route>) -> Result<(), rocket::Error> {
    let fairing = BackgroundTasksFairing::new(TokioExecutor::new());
    let runner = fairing.runner().clone();
    let prefix = settings.status_prefix.clone();
    let rocket = with_status_page(app(settings, routes), settings, &fairing)
        .attach(fairing)
        .attach(AdHoc::on_liftoff("listening", move |rocket| {
            Box::pin(async move {
                let config = rocket.config();
                let addr = format!("{}:{}", config.address, config.port);
                println!("listening on http://{addr} (Ctrl-C stops)");
                println!("status page: http://{addr}{prefix}");
            })
        }));
    let report = background_tasks_rocket::run(rocket, &runner, SHUTDOWN_DEADLINE).await?;
    println!(
        "{}",
        background_tasks_example_support::shutdown_summary(&report)
    );
    Ok(())
}

/// Rocket with `routes`, the settings as managed state, listening on `settings.addr`, its own log
/// off (its errors come back from [`run`]) and its graceful shutdown on Ctrl-C and `SIGTERM`; [`run`] attaches the
/// fairing.
pub fn app(settings: &Settings, routes: Vec<Route>) -> Rocket<Build> {
    let mut config = rocket::Config::release_default();
    config.address = settings.addr.ip();
    config.port = settings.addr.port();
    config.log_level = rocket::config::LogLevel::Off;
    config.cli_colors = false;
    rocket::custom(config)
        .manage(Arc::new(settings.clone()))
        .mount("/", routes)
}

/// `rocket` with the status page of `fairing`'s runner mounted at `settings.status_prefix`
/// (giving the runner an observer if it has none yet; the fairing shares it), its live streams
/// ended when Rocket shuts down (Rocket would otherwise wait out its grace period for an open
/// page). Access: the default, read-only for loopback peers.
pub fn with_status_page(
    rocket: Rocket<Build>,
    settings: &Settings,
    fairing: &BackgroundTasksFairing<TokioExecutor>,
) -> Rocket<Build> {
    let page = status_page(fairing.runner());
    let routes = page.rocket_routes();
    rocket
        .mount(settings.status_prefix.trim_end_matches('/'), routes)
        .attach(AdHoc::on_shutdown("status page", move |_| {
            Box::pin(async move { page.end_streams() })
        }))
}

/// A `200 OK` with a JSON body written by hand, as FastAPI returns a dict.
type Json = (ContentType, &'static str);

fn json(body: &'static str) -> Json {
    (ContentType::JSON, body)
}

/// `route`, a `POST` on `path`, and every other method on `path` answered as FastAPI does:
/// `405`, `{"detail":"Method Not Allowed"}`, `Allow: POST` (Rocket's own answer is a `404`).
fn post_only(path: &str, route: Vec<Route>) -> Vec<Route> {
    let others = [Method::Get, Method::Put, Method::Delete, Method::Patch]
        .into_iter()
        .map(|method| Route::new(method, path, MethodNotAllowed));
    route.into_iter().chain(others).collect()
}

/// The handler of [`post_only`]'s other methods.
#[derive(Clone)]
struct MethodNotAllowed;

#[rocket::async_trait]
impl Handler for MethodNotAllowed {
    async fn handle<'r>(&self, _request: &'r Request<'_>, _data: Data<'r>) -> route::Outcome<'r> {
        const BODY: &str = r#"{"detail":"Method Not Allowed"}"#;
        route::Outcome::Success(
            Response::build()
                .status(Status::MethodNotAllowed)
                .header(ContentType::JSON)
                .raw_header("Allow", "POST")
                .sized_body(BODY.len(), Cursor::new(BODY))
                .finalize(),
        )
    }
}
