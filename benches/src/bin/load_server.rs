//! Run with: cargo run --release -p background-tasks-benches --bin load_server -- tokio one-sync
//!
//! The server that `benches/load.py` puts under load: one [`Scenario`] on one runtime, on
//! loopback. Axum's `Router` serves `GET /` (the scenario's work) and `GET /stats` (the counters as
//! JSON); tokio serves it with `axum::serve`, smol and async-std with
//! `background_tasks_server::serve`. `actix` serves the same routes with actix-web
//! ([`ActixApp`]), its tasks on a tokio runtime of the server's own; `poem` with poem
//! ([`PoemApp`]) and `rocket` with Rocket 0.5 ([`RocketApp`]), each on its own tokio runtime.
//!
//! ```text
//! load_server <tokio|smol|async-std|actix|poem|rocket> <scenario> [--around-router] [ADDR]
//! ```
//!
//! `ADDR` defaults to 127.0.0.1:0. `--around-router` installs the layer around the whole `Router`
//! ([`Placement::AroundRouter`]) instead of through `Router::layer`.
//!
//! Its first line on stdout is `listening on http://ADDR`. It stops when its stdin closes, after
//! printing `stats {...}`: what `/stats` would answer at that moment.

use std::io::{self, BufRead, Write};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use background_tasks::Executor;
use background_tasks_async_std::AsyncStdExecutor;
use background_tasks_benches::{
    ActixApp, App, AsyncStd, Placement, PoemApp, RocketApp, Scenario, Smol, Stats, Tokio,
};
use background_tasks_server as server;
use background_tasks_smol::SmolExecutor;
use background_tasks_tokio::TokioExecutor;
use tower::{Layer, ServiceExt};

const USAGE: &str = "usage: load_server <tokio|smol|async-std|actix|poem|rocket> <scenario> \
    [--around-router] [ADDR]";

/// The servers, by the name the command line gives.
const RUNTIMES: [&str; 6] = ["tokio", "smol", "async-std", "actix", "poem", "rocket"];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (runtime, scenario, placement, addr) = match parse(&args) {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("{message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let served = match runtime.as_str() {
        "tokio" => serve_tokio(scenario, placement, addr),
        "smol" => serve_smol(scenario, placement, addr),
        "async-std" => serve_async_std(scenario, placement, addr),
        "actix" => serve_actix(scenario, addr),
        "poem" => serve_poem(scenario, addr),
        "rocket" => serve_rocket(scenario, addr),
        _ => unreachable!("checked by parse"),
    };
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("load_server: {error}");
            ExitCode::FAILURE
        }
    }
}

fn parse(args: &[String]) -> Result<(String, Scenario, Placement, SocketAddr), String> {
    let [runtime, scenario, rest @ ..] = args else {
        return Err("load_server needs a runtime and a scenario".to_owned());
    };
    if !RUNTIMES.contains(&runtime.as_str()) {
        return Err(format!(
            "unknown runtime `{runtime}`; use one of {}",
            RUNTIMES.join(", ")
        ));
    }
    let scenario = scenario.parse::<Scenario>().map_err(|e| e.to_string())?;
    let (placement, rest) = match rest {
        [flag, rest @ ..] if flag == "--around-router" => (Placement::AroundRouter, rest),
        _ => (Placement::InsideRouter, rest),
    };
    let addr = match rest {
        [] => SocketAddr::from(([127, 0, 0, 1], 0)),
        [addr] => addr
            .parse()
            .map_err(|_| format!("`{addr}` is not a socket address like 127.0.0.1:8080"))?,
        _ => return Err("too many arguments".to_owned()),
    };
    Ok((runtime.clone(), scenario, placement, addr))
}

/// Prints the address, then stops the process (after printing the stats) when stdin closes.
fn announce<E: Executor + Clone>(addr: SocketAddr, app: Arc<App<E>>) -> io::Result<()> {
    announce_stats(addr, move || app.stats())
}

/// [`announce`], for any app whose counters `stats` reads.
fn announce_stats(addr: SocketAddr, stats: impl Fn() -> Stats + Send + 'static) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "listening on http://{addr}")?;
    stdout.flush()?;
    std::thread::spawn(move || {
        // Until EOF (or an error): whoever started us is gone or done.
        for line in io::stdin().lock().lines() {
            if line.is_err() {
                break;
            }
        }
        println!("stats {}", stats().to_json());
        std::process::exit(0);
    });
    Ok(())
}

fn serve_tokio(scenario: Scenario, placement: Placement, addr: SocketAddr) -> io::Result<()> {
    // As `#[tokio::main]`: one worker per core this process may run on (one under `taskset -c 0`).
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let app = Arc::new(App::new::<Tokio>(scenario, TokioExecutor::new(), placement));
        let listener = tokio::net::TcpListener::bind(addr).await?;
        announce(listener.local_addr()?, Arc::clone(&app))?;
        match app.layer() {
            // `axum::serve` wants axum's `Body`, so the wrapped body is boxed once more.
            Some(layer) => {
                let service =
                    ServiceExt::<Request>::map_response(layer.layer(app.router()), |response| {
                        response.map(Body::new)
                    });
                let make_service = axum::ServiceExt::<Request>::into_make_service(service);
                axum::serve(listener, make_service).await
            }
            None => axum::serve(listener, app.router()).await,
        }
    })
}

fn serve_smol(scenario: Scenario, placement: Placement, addr: SocketAddr) -> io::Result<()> {
    smol::block_on(async {
        // smol's global executor runs the connections (`SMOL_THREADS` threads, 1 by default).
        let app = Arc::new(App::new::<Smol>(scenario, SmolExecutor::new(), placement));
        let listener = smol::net::TcpListener::bind(addr).await?;
        announce(listener.local_addr()?, Arc::clone(&app))?;
        let incoming = listener.incoming();
        match app.layer() {
            Some(layer) => {
                server::serve(incoming, layer.layer(app.router()), SmolExecutor::new()).await
            }
            None => server::serve(incoming, app.router(), SmolExecutor::new()).await,
        }
    })
}

fn serve_async_std(scenario: Scenario, placement: Placement, addr: SocketAddr) -> io::Result<()> {
    async_std::task::block_on(async {
        let app = Arc::new(App::new::<AsyncStd>(
            scenario,
            AsyncStdExecutor::new(),
            placement,
        ));
        let listener = async_std::net::TcpListener::bind(addr).await?;
        announce(listener.local_addr()?, Arc::clone(&app))?;
        let incoming = listener.incoming();
        let executor = AsyncStdExecutor::new();
        match app.layer() {
            Some(layer) => server::serve(incoming, layer.layer(app.router()), executor).await,
            None => server::serve(incoming, app.router(), executor).await,
        }
    })
}

/// actix-web with as many workers as this process may use CPUs (one under `taskset -c 0`), as
/// tokio's runtime above; the tasks (the middleware's and the hand-written spawns) on a tokio
/// runtime of the server's own, as the README asks of an actix-web application.
fn serve_actix(scenario: Scenario, addr: SocketAddr) -> io::Result<()> {
    let tasks = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let app = ActixApp::new(scenario, tasks.handle().clone()).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "scenario `{}` is about tower's layers: not served on actix",
                scenario.name()
            ),
        )
    })?;
    let listener = std::net::TcpListener::bind(addr)?;
    let (middleware, routes) = (app.middleware(), app.routes());
    announce_stats(listener.local_addr()?, move || app.stats())?;
    actix_web::rt::System::new().block_on(async move {
        let server = match middleware {
            Some(middleware) => actix_web::HttpServer::new(move || {
                actix_web::App::new()
                    .wrap(middleware.clone())
                    .configure(routes.clone())
            })
            .listen(listener)?
            .run(),
            None => {
                actix_web::HttpServer::new(move || actix_web::App::new().configure(routes.clone()))
                    .listen(listener)?
                    .run()
            }
        };
        server.await
    })
}

/// The error for a scenario about tower's layers, asked of a framework that has none.
fn not_served(scenario: Scenario, framework: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "scenario `{}` is about tower's layers: not served on {framework}",
            scenario.name()
        ),
    )
}

/// poem on a tokio runtime of as many workers as this process may use CPUs (one under
/// `taskset -c 0`), its tasks on the same runtime, as a poem application runs.
fn serve_poem(scenario: Scenario, addr: SocketAddr) -> io::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let app = PoemApp::new(scenario).ok_or_else(|| not_served(scenario, "poem"))?;
        let listener = std::net::TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let endpoint = app.endpoint();
        announce_stats(listener.local_addr()?, move || app.stats())?;
        let acceptor = poem::listener::TcpAcceptor::from_std(listener)?;
        poem::Server::new_with_acceptor(acceptor)
            .run(endpoint)
            .await
    })
}

/// Rocket 0.5 on a tokio runtime of as many workers as this process may use CPUs, its tasks on
/// the same runtime. Rocket binds its own listener: the port is found free first, then freed.
fn serve_rocket(scenario: Scenario, addr: SocketAddr) -> io::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let app = RocketApp::new(scenario).ok_or_else(|| not_served(scenario, "rocket"))?;
        let addr = std::net::TcpListener::bind(addr)?.local_addr()?;
        let mut config = rocket::Config::release_default();
        config.address = addr.ip();
        config.port = addr.port();
        config.log_level = rocket::config::LogLevel::Off;
        config.cli_colors = false;
        let rocket = app.mount(rocket::custom(config));
        // Announced once Rocket listens (at liftoff), not before: a client told the address
        // earlier could find nobody there.
        let announce = rocket::fairing::AdHoc::on_liftoff("announce", move |_| {
            Box::pin(async move {
                if let Err(error) = announce_stats(addr, move || app.stats()) {
                    eprintln!("load_server: {error}");
                    std::process::exit(1);
                }
            })
        });
        rocket
            .attach(announce)
            .launch()
            .await
            .map(drop)
            .map_err(io::Error::other)
    })
}
