//! The page on poem: the peer address poem gives decides access, the page and its JSON are the
//! same as on tower, from a real poem server on 127.0.0.1 and a hand-written client over TCP.

use std::net::SocketAddr;

use background_tasks::status::{Observer, TaskState};
use background_tasks::{BackgroundTasks, Outcome, Runner, Task};
use background_tasks_conformance::http::Client;
use background_tasks_poem::BackgroundTasksMiddleware;
use background_tasks_status::{Access, CONTENT_SECURITY_POLICY, StatusPage};
use background_tasks_tokio::TokioExecutor;
use poem::listener::TcpAcceptor;
use poem::{EndpointExt, Route, Server, handler};

#[handler]
fn fail(tasks: BackgroundTasks) -> String {
    let task = Task::future(async { Err::<(), _>("smtp refused: mailbox full") })
        .with_label("send receipt");
    tasks.add_with_id(task).expect("observed").to_string()
}

/// A poem app on a runtime of its own: `/_tasks/` with the default rule (loopback peers read),
/// `/ops/` admitting only a peer whose address is not loopback (so nobody here), and `/fail`.
fn start(runtime: &tokio::runtime::Runtime) -> (SocketAddr, Runner<TokioExecutor>) {
    let runner = Runner::new(TokioExecutor::from_handle(runtime.handle().clone()))
        .observe(Observer::new(100));
    let default_rule = StatusPage::new(&runner).unwrap();
    let remote_only = StatusPage::new(&runner)
        .unwrap()
        .access(|caller| match caller.peer() {
            Some(peer) if !peer.ip().is_loopback() => Access::Admin,
            _ => Access::Deny,
        });
    let app = Route::new()
        .nest("/_tasks", default_rule.poem_endpoint())
        .nest("/ops", remote_only.poem_endpoint())
        .at(
            "/fail",
            fail.with(BackgroundTasksMiddleware::with_runner(runner.clone())),
        );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let _context = runtime.enter();
    let acceptor = TcpAcceptor::from_std(listener).unwrap();
    // Stopped with the runtime, at the end of the test.
    runtime.spawn(Server::new_with_acceptor(acceptor).run(app));
    (addr, runner)
}

#[test]
fn the_page_on_poem_reads_the_peer_poem_gives() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (addr, runner) = start(&runtime);
    let mut client = Client::connect(addr);

    let (head, body) = client.request("GET", "/_tasks/");
    assert_eq!(head.status, 200, "a loopback peer reads by default");
    assert_eq!(
        head.header("content-security-policy"),
        Some(CONTENT_SECURITY_POLICY)
    );
    assert!(String::from_utf8(body).unwrap().contains("app.js"));
    let (head, _) = client.request("GET", "/ops/");
    assert_eq!(head.status, 403, "the rule saw a loopback peer");

    let (head, body) = client.request("GET", "/fail");
    assert_eq!(head.status, 200);
    let failed = String::from_utf8(body).unwrap().parse().unwrap();
    runtime.block_on(runner.idle());
    let observer = runner.observer().unwrap();
    assert!(matches!(
        observer.task(failed),
        TaskState::Ended(Outcome::Failed(_))
    ));
    let (head, body) = client.request("GET", &format!("/_tasks/api/tasks/{failed}"));
    let task: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!((head.status, &task["state"]), (200, &"failed".into()));
    let (_, body) = client.request("GET", "/_tasks/api/snapshot");
    let snapshot: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        (&snapshot["queues"][0]["path"], &snapshot["access"]),
        (&"/fail".into(), &"read_only".into())
    );
}
