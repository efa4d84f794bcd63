//! Run with: cargo run -p background-tasks-example-demo
//!
//! The main demo. For each runtime in turn (axum on tokio; actix-web, its tasks on a tokio
//! runtime of the demo's own; poem and Rocket on tokio; hyper on smol and on async-std through
//! `background_tasks_server::serve`), it starts a server on 127.0.0.1 (a free port), sends
//! one real request with its own HTTP/1.1 client, and prints a timeline: when the server had the
//! complete response, when the client had it, then when each background task started and ended,
//! and on which thread. The request queues three tasks, FastAPI style:
//!
//! - `write_log("found query: rust")`, a sync task added by the `get_query` dependency;
//! - `write_log("message to ada@example.com")`, a sync task added by the handler;
//! - `async_cleanup("upload.tmp")`, an async task that sleeps on the runtime's timer.
//!
//! Sync tasks run on the runtime's blocking pool, async ones on its workers, one at a time, in the
//! order they were added, and only once the response is complete: its last byte handed to the
//! server. That is the layer's promise, and the timeline shows it every time. The client reads the
//! bytes a few microseconds later; whether that is before the first task starts depends on how the
//! OS schedules the threads (on loopback it nearly always is), and the summary line says which.
//!
//! The axum server also serves the live status page at `/_tasks/` and prints its URL; with
//! `--serve` (`cargo run -p background-tasks-example-demo -- --serve`), that server stays up
//! after the demo, for a person to look at (and to send more requests to), until Ctrl-C.

mod actix_app;
mod axum_app;
mod client;
mod hyper_app;
mod poem_app;
mod rocket_app;
mod timeline;

use std::error::Error;
use std::future::IntoFuture;
use std::net::SocketAddr;
use std::sync::{Mutex, mpsc};
use std::thread;
use std::time::Duration;

use background_tasks::Outcome;
use background_tasks::status::Observer;
use background_tasks_actix::BackgroundTasksMiddleware;
use background_tasks_async_std::AsyncStdExecutor;
use background_tasks_poem::BackgroundTasksMiddleware as PoemMiddleware;
use background_tasks_rocket::BackgroundTasksFairing;
use background_tasks_server as server;
use background_tasks_smol::SmolExecutor;
use background_tasks_status::StatusPage;
use background_tasks_tokio::TokioExecutor;
use background_tasks_tower::{BackgroundTasksLayer, RequestReport};
use timeline::{Event, Timeline};

/// How long `async_cleanup` sleeps (FastAPI's example sleeps 5 s).
const CLEANUP: Duration = Duration::from_millis(100);
/// The failure bound of every wait: the demo never sleeps to synchronise.
const TIMEOUT: Duration = Duration::from_secs(10);
/// The request sent to every server.
const TARGET: &str = "/send-notification/ada@example.com?q=rust";

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// What the server thread hands back: its address, and the layer's report for each request once
/// its tasks have run.
struct Server {
    addr: SocketAddr,
    reports: mpsc::Receiver<RequestReport>,
    /// Where its status page is, if it serves one.
    status_page: Option<String>,
}

/// A layer on `executor` whose reports go to a channel: how the demo knows the tasks are done.
fn layer<E: background_tasks::Executor>(
    executor: E,
) -> (BackgroundTasksLayer<E>, mpsc::Receiver<RequestReport>) {
    let (sent, reports) = mpsc::channel();
    let sent = Mutex::new(sent);
    let layer = BackgroundTasksLayer::new(executor).on_report(move |report| {
        let _ = sent.lock().unwrap().send(report);
    });
    (layer, reports)
}

/// axum on a tokio runtime driven by the thread "tokio-runtime"; its blocking pool's threads are
/// named "tokio-blocking".
fn start_tokio(timeline: Timeline) -> Result<Server> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .thread_name("tokio-blocking")
        .build()?;
    let (layer, reports) = layer(TokioExecutor::from_handle(runtime.handle().clone()));
    // The layer's runner and this clone share their books: the observer sees the layer's queues.
    let runner = layer.runner().clone().observe(Observer::default());
    let page = StatusPage::new(&runner)?;
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let addr = listener.local_addr()?;
    let app = axum_app::app(timeline, layer).nest_service("/_tasks", page.service());
    // With each connection's peer address: the page is read-only for loopback peers.
    let app = app.into_make_service_with_connect_info::<SocketAddr>();
    thread::Builder::new()
        .name("tokio-runtime".into())
        .spawn(move || runtime.block_on(axum::serve(listener, app).into_future()))?;
    Ok(Server {
        addr,
        reports,
        status_page: Some(format!("http://{addr}/_tasks/")),
    })
}

/// actix-web (its worker's thread is actix's own), its tasks on a tokio runtime the demo owns,
/// driven by the thread "tasks-runtime", whose blocking pool's threads are named
/// "tasks-blocking": queues outlive the actix worker that served their request.
fn start_actix(timeline: Timeline) -> Result<Server> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .thread_name("tasks-blocking")
        .build()?;
    let executor = TokioExecutor::from_handle(runtime.handle().clone());
    let (sent, reports) = mpsc::channel();
    let sent = Mutex::new(sent);
    let middleware = BackgroundTasksMiddleware::new(executor.clone()).on_report(move |report| {
        let _ = sent.lock().unwrap().send(report);
    });
    thread::Builder::new()
        .name("tasks-runtime".into())
        .spawn(move || runtime.block_on(std::future::pending::<()>()))?;
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let routes = actix_app::routes(timeline, executor);
    thread::Builder::new()
        .name("actix-server".into())
        .spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = actix_web::HttpServer::new(move || {
                    actix_web::App::new()
                        .wrap(middleware.clone())
                        .configure(routes.clone())
                })
                .workers(1)
                .disable_signals()
                .listen(listener)?
                .run();
                server.await
            })
        })?;
    Ok(Server {
        addr,
        reports,
        status_page: None,
    })
}

/// poem on a tokio runtime driven by the thread "poem-runtime"; its blocking pool's threads are
/// named "poem-blocking".
fn start_poem(timeline: Timeline) -> Result<Server> {
    use poem::EndpointExt;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .thread_name("poem-blocking")
        .build()?;
    let (sent, reports) = mpsc::channel();
    let sent = Mutex::new(sent);
    let middleware = PoemMiddleware::new(TokioExecutor::from_handle(runtime.handle().clone()))
        .on_report(move |report| {
            let _ = sent.lock().unwrap().send(report);
        });
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let acceptor = {
        let _context = runtime.enter();
        poem::listener::TcpAcceptor::from_std(listener)?
    };
    let app = poem_app::app(timeline).with(middleware);
    thread::Builder::new()
        .name("poem-runtime".into())
        .spawn(move || runtime.block_on(poem::Server::new_with_acceptor(acceptor).run(app)))?;
    Ok(Server {
        addr,
        reports,
        status_page: None,
    })
}

/// Rocket on a tokio runtime driven by the thread "rocket-runtime"; its blocking pool's threads
/// are named "rocket-blocking". Rocket binds its own port (a free one) and says which at liftoff.
fn start_rocket(timeline: Timeline) -> Result<Server> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .thread_name("rocket-blocking")
        .build()?;
    let (sent, reports) = mpsc::channel();
    let sent = Mutex::new(sent);
    let fairing = BackgroundTasksFairing::new(TokioExecutor::from_handle(runtime.handle().clone()))
        .on_report(move |report| {
            let _ = sent.lock().unwrap().send(report);
        });
    let mut config = rocket::Config::release_default();
    config.address = std::net::Ipv4Addr::LOCALHOST.into();
    config.port = 0;
    config.log_level = rocket::config::LogLevel::Off;
    config.shutdown.ctrlc = false;
    let (lifted, liftoff) = mpsc::channel();
    let rocket = rocket::custom(config)
        .manage(timeline)
        .attach(fairing)
        .attach(rocket::fairing::AdHoc::on_liftoff(
            "liftoff",
            move |rocket| {
                let addr = SocketAddr::from((rocket.config().address, rocket.config().port));
                Box::pin(async move {
                    let _ = lifted.send(addr);
                })
            },
        ))
        .mount("/", rocket_app::routes());
    thread::Builder::new()
        .name("rocket-runtime".into())
        .spawn(move || {
            if let Err(error) = runtime.block_on(rocket.launch()) {
                eprintln!("Rocket stopped: {error}");
            }
        })?;
    let addr = liftoff.recv_timeout(TIMEOUT)?;
    Ok(Server {
        addr,
        reports,
        status_page: None,
    })
}

/// hyper on smol: the accept loop on the thread "smol-server", connections and queues on smol's
/// global executor.
fn start_smol(timeline: Timeline) -> Result<Server> {
    let (layer, reports) = layer(SmolExecutor::new());
    let listener = smol::block_on(smol::net::TcpListener::bind("127.0.0.1:0"))?;
    let addr = listener.local_addr()?;
    let service = hyper_app::service(timeline, layer);
    thread::Builder::new()
        .name("smol-server".into())
        .spawn(move || {
            smol::block_on(server::serve(
                listener.incoming(),
                service,
                SmolExecutor::new(),
            ))
        })?;
    Ok(Server {
        addr,
        reports,
        status_page: None,
    })
}

/// hyper on async-std: the accept loop on the thread "async-std-server", connections and queues
/// on async-std's runtime.
fn start_async_std(timeline: Timeline) -> Result<Server> {
    let (layer, reports) = layer(AsyncStdExecutor::new());
    let listener = async_std::task::block_on(async_std::net::TcpListener::bind("127.0.0.1:0"))?;
    let addr = listener.local_addr()?;
    let service = hyper_app::service(timeline, layer);
    thread::Builder::new()
        .name("async-std-server".into())
        .spawn(move || {
            async_std::task::block_on(server::serve(
                listener.incoming(),
                service,
                AsyncStdExecutor::new(),
            ))
        })?;
    Ok(Server {
        addr,
        reports,
        status_page: None,
    })
}

/// Starts a server, sends the request, waits for the tasks (the layer's report) and prints the
/// timeline.
fn demo(title: &str, start: fn(Timeline) -> Result<Server>) -> Result<Server> {
    let timeline = Timeline::default();
    let server = start(timeline.clone())?;
    println!("{title}, on {}", server.addr);
    if let Some(page) = &server.status_page {
        println!("  status page: {page}");
    }
    client::post(server.addr, TARGET, &timeline)?;
    let report = server.reports.recv_timeout(TIMEOUT)?;

    let (mut sent, mut received, mut first_task) = (None, None, None);
    for event in timeline.events() {
        match event {
            Event::Sent { at } => {
                sent = Some(at);
                println!("  t={:>6}            server: response complete", ms(at));
            }
            Event::Response { at, status, body } => {
                received = Some(at);
                println!("  t={:>6}            client: {status} {body}", ms(at));
            }
            Event::Task {
                started,
                ended,
                call,
                kind,
                added_by,
                thread,
            } => {
                first_task.get_or_insert(started);
                println!(
                    "  t={:>6} -> {:>6}  {kind:<5}  {call:<38}  by {added_by:<22}  on {thread}",
                    ms(started),
                    ms(ended),
                );
            }
        }
    }
    let (Some(sent), Some(received), Some(first_task)) = (sent, received, first_task) else {
        return Err(format!("{title}: events are missing: {:?}", timeline.events()).into());
    };
    let client = if received <= first_task {
        format!("the client had it {} ms before", ms(first_task - received))
    } else {
        // Tasks wait for the response, not for the client's thread to be scheduled.
        format!(
            "the client's thread read it {} ms after",
            ms(received - first_task)
        )
    };
    let succeeded = report.run().count(|outcome| *outcome == Outcome::Succeeded);
    println!(
        "  => response complete {} ms before the first task started, {client}; \
         {succeeded}/{} tasks succeeded\n",
        ms(first_task - sent),
        report.run().tasks().len(),
    );
    Ok(server)
}

fn ms(duration: Duration) -> String {
    format!("{:.2}", duration.as_secs_f64() * 1e3)
}

fn main() -> Result<()> {
    let serve = match std::env::args().nth(1).as_deref() {
        None => false,
        Some("--serve") => true,
        Some(other) => {
            return Err(format!("unknown argument `{other}`; the demo takes only --serve").into());
        }
    };
    println!(
        "background-tasks demo: on each runtime, POST {TARGET} from a client of our own.\n\
         t = ms since the request was sent; a task's line reads started -> ended.\n"
    );
    let axum = demo("axum on tokio", start_tokio)?;
    demo(
        "actix-web (BackgroundTasksMiddleware; tasks on a tokio runtime the app owns)",
        start_actix,
    )?;
    demo("poem (BackgroundTasksMiddleware, on tokio)", start_poem)?;
    demo(
        "Rocket (BackgroundTasksFairing, on tokio; the queue a request guard)",
        start_rocket,
    )?;
    demo("hyper on smol (background_tasks_server::serve)", start_smol)?;
    demo(
        "hyper on async-std (server::serve; async-std is discontinued by its authors: prefer smol)",
        start_async_std,
    )?;
    if serve {
        let page = axum.status_page.unwrap_or_default();
        println!(
            "serving the axum demo until Ctrl-C: curl -X POST 'http://{}{TARGET}', then watch {page}",
            axum.addr
        );
        // The server runs on its own thread; this one only waits for the process to be stopped.
        loop {
            thread::park();
        }
    }
    Ok(())
}
