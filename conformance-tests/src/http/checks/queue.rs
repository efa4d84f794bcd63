//! C1 over HTTP/1.1: FastAPI's dependency example, one queue shared by a dependency and its
//! handler.

use background_tasks::BackgroundTasks;

use crate::http::{App, Client, Events, HttpHarness, Reply, Reports, RequestView};

use super::{assert_ran, serve_app};

/// C1: FastAPI's second example over HTTP. A "dependency" (a function taking the request's queue
/// with `BackgroundTasks::current`, as an extractor does) adds a `write_log` task when `?q=` is given; the
/// handler adds one of its own; the lines are written in that order, and only the handler's
/// without `q`.
pub fn c01_dependency_and_handler_tasks_run_in_order<H: HttpHarness>() {
    fn write_log(log: &Events, message: String) {
        log.push(message);
    }

    /// FastAPI's `get_query(background_tasks, q)`.
    fn get_query(request: &RequestView, tasks: &BackgroundTasks, log: &Events) -> Option<String> {
        let q = request.query_param("q").map(str::to_owned);
        if let Some(q) = &q {
            let (log, message) = (log.clone(), format!("found query: {q}"));
            tasks.add_task(move || write_log(&log, message));
        }
        q
    }

    let harness = H::new();
    let (log, reports) = (Events::default(), Reports::default());
    let (l, d) = (log.clone(), log.clone());
    let app = App::new(&reports, move |request, tasks| {
        let email = request
            .path
            .strip_prefix("/send-notification/")
            .expect("the only route")
            .to_owned();
        let (log, message) = (l.clone(), format!("message to {email}"));
        tasks.add_task(move || write_log(&log, message));
        Reply::text(r#"{"message":"Message sent"}"#).into()
    })
    // FastAPI's `q: str = Depends(get_query)`: runs before the handler, on the same queue.
    .dependency(move |request, tasks| {
        let _q = get_query(request, tasks, &d);
    });
    let addr = serve_app(&harness, app);

    let mut client = Client::connect(addr);
    let (head, body) = client.request("POST", "/send-notification/ada@example.com?q=rust");
    assert_eq!(
        (head.status, &*body),
        (200, &br#"{"message":"Message sent"}"#[..])
    );
    let report = reports.take("/send-notification/ada@example.com");
    assert_ran(&report, 200);
    assert_eq!(report.run().tasks().len(), 2);
    assert_eq!(
        log.snapshot(),
        ["found query: rust", "message to ada@example.com"]
    );

    log.clear();
    assert_eq!(
        client
            .request("POST", "/send-notification/bob@example.com")
            .0
            .status,
        200
    );
    let report = reports.take("/send-notification/bob@example.com");
    assert_ran(&report, 200);
    assert_eq!(log.snapshot(), ["message to bob@example.com"]);
}
