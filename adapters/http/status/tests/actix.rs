//! The page on actix-web: the same JSON, live stream and access as on tower, from a real
//! actix-web server on 127.0.0.1 and a hand-written client over TCP.

use std::net::SocketAddr;
use std::sync::mpsc;

use actix_web::{App, HttpServer, web};
use background_tasks::status::{Observer, TaskId, TaskState};
use background_tasks::{BackgroundTasks, Outcome, Runner, Task};
use background_tasks_actix::BackgroundTasksMiddleware;
use background_tasks_conformance::http::Client;
use background_tasks_status::{Access, CONTENT_SECURITY_POLICY, StatusPage};
use background_tasks_tokio::TokioExecutor;

struct ActixApp {
    addr: SocketAddr,
    runner: Runner<TokioExecutor>,
    release: tokio::sync::mpsc::UnboundedSender<()>,
    server: actix_web::dev::ServerHandle,
    _tasks_runtime: tokio::runtime::Runtime,
}

async fn ok(tasks: BackgroundTasks) -> String {
    let task = Task::sync(|| ()).with_label("send welcome email");
    tasks.add_with_id(task).expect("observed").to_string()
}

async fn fail(tasks: BackgroundTasks) -> String {
    let task = Task::future(async { Err::<(), _>("smtp refused: mailbox full") })
        .with_label("send receipt");
    tasks.add_with_id(task).expect("observed").to_string()
}

async fn hold(
    tasks: BackgroundTasks,
    release: web::Data<async_lock::Mutex<tokio::sync::mpsc::UnboundedReceiver<()>>>,
) -> String {
    let release = release.into_inner();
    tasks.add(
        Task::future(async move {
            release.lock().await.recv().await;
        })
        .with_label("wait for release"),
    );
    let behind = Task::sync(|| ()).with_label("resize upload");
    tasks.add_with_id(behind).expect("observed").to_string()
}

impl ActixApp {
    fn start() -> Self {
        // The tasks run on a runtime that outlives actix's workers, as the README says.
        let tasks_runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let executor = TokioExecutor::from_handle(tasks_runtime.handle().clone());
        let runner = Runner::new(executor).observe(Observer::new(100));
        let admin = StatusPage::new(&runner)
            .unwrap()
            .access(|caller| match caller.peer() {
                Some(peer) if peer.ip().is_loopback() => Access::Admin,
                _ => Access::Deny,
            });
        let read_only = StatusPage::new(&runner).unwrap();
        let middleware = BackgroundTasksMiddleware::with_runner(runner.clone());
        let (release, released) = tokio::sync::mpsc::unbounded_channel();
        let released = web::Data::new(async_lock::Mutex::new(released));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let (started, handle) = mpsc::channel();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(move || {
                    App::new()
                        .service(admin.actix_scope("/_tasks"))
                        .service(read_only.actix_scope("/ops/status/"))
                        .service(
                            web::scope("")
                                .wrap(middleware.clone())
                                .app_data(released.clone())
                                .route("/ok", web::get().to(ok))
                                .route("/fail", web::get().to(fail))
                                .route("/hold", web::post().to(hold)),
                        )
                })
                .workers(1)
                .disable_signals()
                .listen(listener)
                .unwrap()
                .run();
                started.send(server.handle()).unwrap();
                server.await.unwrap();
            });
        });
        Self {
            addr,
            runner,
            release,
            server: handle.recv().unwrap(),
            _tasks_runtime: tasks_runtime,
        }
    }

    fn id(&self, method: &str, target: &str) -> TaskId {
        let (head, body) = Client::connect(self.addr).request(method, target);
        assert_eq!(head.status, 200, "{method} {target}");
        String::from_utf8(body).unwrap().parse().unwrap()
    }

    /// Waits on the observer's change signal until `done` holds (failing after 10 s).
    fn wait_until(&self, what: &str, done: impl Fn(&Observer) -> bool) {
        let observer = self.runner.observer().unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let seen = observer.version();
            if done(observer) {
                return;
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let changed = self
                ._tasks_runtime
                .block_on(async { tokio::time::timeout(left, observer.changed(seen)).await });
            assert!(changed.is_ok(), "waited for {what}");
        }
    }
}

impl Drop for ActixApp {
    fn drop(&mut self) {
        drop(self.server.stop(false));
    }
}

fn json(client: &mut Client, target: &str) -> (u16, serde_json::Value) {
    let (head, body) = client.request("GET", target);
    assert_eq!(
        head.header("content-security-policy"),
        Some(CONTENT_SECURITY_POLICY)
    );
    (head.status, serde_json::from_slice(&body).unwrap())
}

#[test]
fn the_page_its_json_and_its_stream_on_actix_web() {
    let app = ActixApp::start();
    let mut client = Client::connect(app.addr);
    let (head, body) = client.request("GET", "/_tasks/");
    assert_eq!(head.status, 200);
    assert!(String::from_utf8(body).unwrap().contains("app.js"));

    let mut stream = Client::connect(app.addr);
    stream.send("GET", "/ops/status/api/events");
    let head = stream.read_head();
    assert_eq!(
        (head.status, head.header("content-type")),
        (200, Some("text/event-stream"))
    );
    assert!(
        String::from_utf8(stream.read_chunk())
            .unwrap()
            .contains("event: update")
    );

    let failed = app.id("GET", "/fail");
    loop {
        let chunk = String::from_utf8(stream.read_chunk()).unwrap();
        if chunk.contains("smtp refused: mailbox full") {
            assert!(chunk.contains(&format!("\"{failed}\"")));
            break;
        }
    }
    let (status, task) = json(&mut client, &format!("/ops/status/api/tasks/{failed}"));
    assert_eq!((status, &task["state"]), (200, &"failed".into()));
    let (_, snapshot) = json(&mut client, "/ops/status/api/snapshot");
    let queue = &snapshot["queues"][0];
    assert_eq!(
        (&queue["method"], &queue["path"]),
        (&"GET".into(), &"/fail".into())
    );
    assert_eq!(snapshot["access"], "read_only");
}

#[test]
fn only_admin_cancels_on_actix_web() {
    let app = ActixApp::start();
    let mut client = Client::connect(app.addr);
    let queued = app.id("POST", "/hold");
    let first: TaskId = format!("{}-0", queued.queue()).parse().unwrap();
    app.wait_until("the first task to start", |o| {
        o.task(first) == TaskState::Running
    });

    let (head, _) = client.request("POST", &format!("/ops/status/api/tasks/{queued}/cancel"));
    assert_eq!(head.status, 403);
    let (head, _) = client.request("POST", &format!("/_tasks/api/tasks/{queued}/cancel"));
    assert_eq!(head.status, 200);
    let observer = app.runner.observer().unwrap();
    assert_eq!(observer.task(queued), TaskState::Ended(Outcome::Discarded));
    app.release.send(()).unwrap();
    app.wait_until("the queue to end", |o| o.counts().running == 0);
}
