//! `server::serve` on smol and async-std, with the layer around a plain tower service (real TCP,
//! hand-written HTTP/1.1 client): C8, tasks run after the response body has ended; C24, a cap on
//! connections makes further ones wait until a served one closes.

use std::convert::Infallible;
use std::net::SocketAddr;

use background_tasks::{BackgroundTasks, Executor};
use background_tasks_async_std::AsyncStdExecutor;
use background_tasks_conformance::http::{Chunks, Client, Events, Reports};
use background_tasks_server as server;
use background_tasks_smol::SmolExecutor;
use background_tasks_tokio::TokioExecutor;
use background_tasks_tower::ResponseBody;
use background_tasks_tower::{BackgroundTasksLayer, Decision, Ending};
use http::{Request, Response};
use hyper::body::Incoming;
use tower::util::BoxCloneService;
use tower::{Layer, service_fn};

/// The service under test, boxed so that each runtime's test can name it.
type Served = BoxCloneService<Request<Incoming>, Response<ResponseBody<Chunks>>, Infallible>;

#[test]
fn c08_smol_serve_runs_tasks_after_the_response() {
    serve_runs_tasks_after_the_response(SmolExecutor::new(), |service| {
        let listener = smol::block_on(smol::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            smol::block_on(server::serve(
                listener.incoming(),
                service,
                SmolExecutor::new(),
            ))
        });
        addr
    });
}

#[test]
fn c08_async_std_serve_runs_tasks_after_the_response() {
    serve_runs_tasks_after_the_response(AsyncStdExecutor::new(), |service| {
        let listener =
            async_std::task::block_on(async_std::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        async_std::task::spawn(async move {
            server::serve(listener.incoming(), service, AsyncStdExecutor::new()).await
        });
        addr
    });
}

/// Serves a handler that queues one async task, through the layer on `executor`, with `start`
/// (which runs `server::serve` on its runtime and returns the address), then checks that a
/// full and a streamed body each end before their task starts.
fn serve_runs_tasks_after_the_response<E: Executor + Clone>(
    executor: E,
    start: impl FnOnce(Served) -> SocketAddr,
) {
    let events = Events::default();
    let reports = Reports::default();
    let handler = {
        let events = events.clone();
        service_fn(move |request: Request<Incoming>| {
            let events = events.clone();
            async move {
                let tasks = BackgroundTasks::current().unwrap();
                events.push(format!("handler {}", request.uri().path()));
                let e = events.clone();
                tasks.add_async_task(async move { e.push("task started") });
                let path = request.uri().path();
                let body = Chunks::new(&events, path, 4, 1024);
                let body = if path == "/full" {
                    body
                } else {
                    body.streamed()
                };
                Ok::<_, Infallible>(Response::new(body))
            }
        })
    };
    let service = BackgroundTasksLayer::new(executor)
        .on_report(reports.hook())
        .layer(handler);
    let addr = start(BoxCloneService::new(service));

    let mut client = Client::connect(addr);
    for path in ["/full", "/streamed"] {
        let (head, body) = client.request("GET", path);
        assert_eq!((head.status, body.len()), (200, 4 * 1024));
        let log = events.wait_for("task started");
        assert_eq!(
            log,
            [
                format!("handler {path}"),
                format!("{path} body end"),
                "task started".to_owned()
            ]
        );
        let report = reports.take(path);
        assert_eq!(report.ending(), Ending::Completed);
        assert_eq!(report.decision(), Decision::Ran);
        assert!(report.run().is_success());
        events.clear();
    }
}

#[test]
fn c24_smol_serve_caps_connections() {
    serve_caps_connections(SmolExecutor::new(), |service| {
        let listener = smol::block_on(smol::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            smol::block_on(
                server::serve(listener.incoming(), service, SmolExecutor::new())
                    .max_connections(CAP),
            )
        });
        addr
    });
}

#[test]
fn c24_async_std_serve_caps_connections() {
    serve_caps_connections(AsyncStdExecutor::new(), |service| {
        let listener =
            async_std::task::block_on(async_std::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        async_std::task::spawn(async move {
            server::serve(listener.incoming(), service, AsyncStdExecutor::new())
                .max_connections(CAP)
                .await
        });
        addr
    });
}

#[test]
fn smol_serve_hands_each_request_its_peer_address() {
    serve_hands_each_request_its_peer_address(|service| {
        let listener = smol::block_on(smol::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            smol::block_on(
                server::serve(listener.incoming(), service, SmolExecutor::new())
                    .peer_addr(smol::net::TcpStream::peer_addr),
            )
        });
        addr
    });
}

#[test]
fn async_std_serve_hands_each_request_its_peer_address() {
    serve_hands_each_request_its_peer_address(|service| {
        let listener =
            async_std::task::block_on(async_std::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        async_std::task::spawn(async move {
            server::serve(listener.incoming(), service, AsyncStdExecutor::new())
                .peer_addr(async_std::net::TcpStream::peer_addr)
                .await
        });
        addr
    });
}

#[test]
fn tokio_serve_hands_each_request_its_peer_address() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    serve_hands_each_request_its_peer_address(|service| {
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let incoming = server::TokioIncoming::new(listener);
        runtime.spawn(
            server::serve(
                incoming,
                service,
                TokioExecutor::from_handle(runtime.handle().clone()),
            )
            .peer_addr(server::TokioIncoming::peer_addr),
        );
        addr
    });
}

#[test]
fn without_peer_addr_a_request_has_no_peer_address() {
    let listener = smol::block_on(smol::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        smol::block_on(server::serve(
            listener.incoming(),
            peer_echo(),
            SmolExecutor::new(),
        ))
    });
    let (head, body) = Client::connect(addr).request("GET", "/peer");
    assert_eq!(head.status, 200);
    assert_eq!(String::from_utf8(body).unwrap(), "none");
}

/// A service that answers with the peer address the server handed the request.
type PeerEcho = BoxCloneService<Request<Incoming>, Response<String>, Infallible>;

/// Answers each request with its `PeerAddr` extension, or "none".
fn peer_echo() -> PeerEcho {
    BoxCloneService::new(service_fn(|request: Request<Incoming>| {
        let peer = match request.extensions().get::<server::PeerAddr>() {
            Some(server::PeerAddr(peer)) => peer.to_string(),
            None => "none".to_owned(),
        };
        std::future::ready(Ok::<_, Infallible>(Response::new(peer)))
    }))
}

/// With `start` serving with `Serve::peer_addr`: every request of two connections carries its
/// own connection's peer address, the client's end of it.
fn serve_hands_each_request_its_peer_address(start: impl FnOnce(PeerEcho) -> SocketAddr) {
    let addr = start(peer_echo());
    for _ in 0..2 {
        let mut client = Client::connect(addr);
        for _ in 0..2 {
            let (head, body) = client.request("GET", "/peer");
            assert_eq!(head.status, 200);
            assert_eq!(
                String::from_utf8(body).unwrap(),
                client.local_addr().to_string()
            );
        }
    }
}

/// The cap the connection checks serve under.
const CAP: usize = 2;

/// With `start` serving under a cap of two connections: two keep-alive clients are served; a
/// third one's request is not handled while they stay open (though they are answered again
/// meanwhile); once one of them closes, the third is served.
fn serve_caps_connections<E: Executor + Clone>(
    executor: E,
    start: impl FnOnce(Served) -> SocketAddr,
) {
    let events = Events::default();
    let handler = {
        let events = events.clone();
        service_fn(move |request: Request<Incoming>| {
            events.push(format!("handler {}", request.uri().path()));
            let body = Chunks::new(&events, request.uri().path(), 1, 16);
            std::future::ready(Ok::<_, Infallible>(Response::new(body)))
        })
    };
    let service = BackgroundTasksLayer::new(executor).layer(handler);
    let addr = start(BoxCloneService::new(service));

    let mut first = Client::connect(addr);
    let mut second = Client::connect(addr);
    assert_eq!(first.request("GET", "/first").0.status, 200);
    assert_eq!(second.request("GET", "/second").0.status, 200);

    // Over the cap: the kernel completes the handshake, the server does not accept it.
    let mut third = Client::connect(addr);
    third.send("GET", "/third");
    assert_eq!(first.request("GET", "/first-again").0.status, 200);
    assert_eq!(second.request("GET", "/second-again").0.status, 200);
    assert!(
        !events.contains("handler /third"),
        "a connection over the cap was served: {:?}",
        events.snapshot()
    );

    drop(first);
    assert_eq!(third.read_head().status, 200);
    assert!(events.contains("handler /third"));
}
