//! C8 on smol: `server::serve` with the layer around a plain tower service; tasks run after the
//! response body has ended (real TCP, hand-written HTTP/1.1 client).

mod common;

use std::convert::Infallible;

use background_tasks::BackgroundTasks;
use background_tasks_smol::SmolExecutor;
use background_tasks_tower::{BackgroundTasksLayer, Decision, Ending, server};
use common::{Chunks, Client, Events, Reports};
use http::{Request, Response};
use hyper::body::Incoming;
use tower::{Layer, service_fn};

#[test]
fn c08_smol_serve_runs_tasks_after_the_response() {
    let events = Events::default();
    let (hook, reports) = Reports::new();
    let handler = {
        let events = events.clone();
        service_fn(move |request: Request<Incoming>| {
            let events = events.clone();
            async move {
                let tasks = BackgroundTasks::current().unwrap();
                events.push(format!("handler {}", request.uri().path()));
                let e = events.clone();
                tasks.add_async_task(async move { e.push("task started") });
                let exact = request.uri().path() == "/full";
                Ok::<_, Infallible>(Response::new(Chunks::new(4, 1024, exact, events)))
            }
        })
    };
    let service = BackgroundTasksLayer::new(SmolExecutor::new())
        .on_report(hook)
        .layer(handler);
    let listener = smol::block_on(smol::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        smol::block_on(server::serve(
            listener.incoming(),
            service,
            SmolExecutor::new(),
        ))
    });

    let mut client = Client::connect(addr);
    for path in ["/full", "/streamed"] {
        let (head, body) = client.request("GET", path);
        assert_eq!((head.status, body.len()), (200, 4 * 1024));
        let log = events.wait_for("task started");
        assert_eq!(
            log,
            [&format!("handler {path}"), "body end", "task started"]
        );
        let report = reports.next();
        assert_eq!(report.ending(), Ending::Completed);
        assert_eq!(report.decision(), Decision::Ran);
        assert!(report.run().is_success());
        events.clear();
    }
}
