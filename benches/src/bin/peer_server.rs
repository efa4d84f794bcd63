//! The hand-written peer of `load_server`'s tokio scenarios, for `benches/load.py --peers`: axum on
//! tokio, `GET /` queuing one sync or one async task by hand with our guarantees (see
//! `background_tasks_benches::peer`), `GET /stats` as `load_server` answers it.
//!
//! Run with: cargo run --release -p background-tasks-benches --bin peer_server -- one-sync
//! It prints `listening on http://ADDR`; closing its stdin drains its `TaskTracker`, prints the
//! stats and exits.

use std::io::{self, BufRead, Write};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use background_tasks_benches::Counters;
use background_tasks_benches::peer::{PeerScenario, router};
use tokio_util::task::TaskTracker;

const USAGE: &str = "usage: peer_server <one-sync|one-async> [ADDR]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parsed = match args.as_slice() {
        [scenario] => scenario
            .parse::<PeerScenario>()
            .map(|s| (s, SocketAddr::from(([127, 0, 0, 1], 0)))),
        [scenario, addr] => scenario.parse::<PeerScenario>().and_then(|s| {
            addr.parse()
                .map(|addr| (s, addr))
                .map_err(|_| format!("`{addr}` is not a socket address"))
        }),
        _ => Err("peer_server needs a scenario".to_owned()),
    };
    let (scenario, addr) = match parsed {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("{message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match serve(scenario, addr) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("peer_server: {error}");
            ExitCode::FAILURE
        }
    }
}

fn serve(scenario: PeerScenario, addr: SocketAddr) -> io::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let counters = Arc::new(Counters::default());
    let tracker = TaskTracker::new();
    let app = router(scenario, Arc::clone(&counters), tracker.clone());
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let mut stdout = io::stdout().lock();
        writeln!(stdout, "listening on http://{}", listener.local_addr()?)?;
        stdout.flush()?;
        drop(stdout);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            // Until EOF (or an error): whoever started us is gone or done.
            for line in io::stdin().lock().lines() {
                if line.is_err() {
                    break;
                }
            }
            let _ = stop.send(());
        });
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await?;
        // The peer's shutdown drain: every task spawned through the tracker.
        tracker.close();
        tracker.wait().await;
        println!("stats {}", counters.snapshot(None).to_json());
        Ok(())
    })
}
