//! C10: tasks that wait delay neither the next request on their connection nor any other.

use std::sync::mpsc;

use futures_channel::oneshot;

use crate::http::{App, Client, Events, HttpHarness, Reply, Reports, WAIT_LIMIT};

use super::{Slot, serve_app};

/// C10: a sync task that blocks and an async task that waits (both until the check releases them)
/// delay neither the next request on the same keep-alive connection nor one on another
/// connection.
pub fn c10_waiting_tasks_delay_neither_the_connection_nor_others<H: HttpHarness>() {
    let harness = H::new();
    let events = Events::default();
    let (release_blocked, blocked) = mpsc::channel::<()>();
    let (release_waiting, waiting) = oneshot::channel::<()>();
    let (blocked, waiting) = (Slot::new(blocked), Slot::new(waiting));
    let e = events.clone();
    let app = App::new(&Reports::default(), move |request, tasks| {
        let log = e.clone();
        match request.path.as_str() {
            "/block" => {
                let blocked = blocked.take();
                tasks.add_task(move || {
                    log.push("blocking task started");
                    // The bound only ends a failing check; the check releases it.
                    let _ = blocked.recv_timeout(WAIT_LIMIT);
                    log.push("blocking task ended");
                });
            }
            "/wait" => {
                let waiting = waiting.take();
                tasks.add_async_task(async move {
                    log.push("waiting task started");
                    let _ = waiting.await;
                    log.push("waiting task ended");
                });
            }
            _ => return Reply::text("pong").into(),
        }
        Reply::text("queued").into()
    });
    let addr = serve_app(&harness, app);

    let mut client = Client::connect(addr);
    assert_eq!(client.request("GET", "/block").1, b"queued");
    events.wait_for("blocking task started");
    assert_eq!(client.request("GET", "/wait").1, b"queued");
    events.wait_for("waiting task started");

    // Both tasks are held: the same connection and a new one still answer.
    assert_eq!(client.request("GET", "/ping").1, b"pong");
    assert_eq!(Client::connect(addr).request("GET", "/ping").1, b"pong");
    assert!(
        !events.contains("blocking task ended") && !events.contains("waiting task ended"),
        "the tasks were released before the requests were answered; log: {:?}",
        events.snapshot()
    );

    release_blocked.send(()).expect("the blocking task waits");
    release_waiting.send(()).expect("the waiting task waits");
    events.wait_for("blocking task ended");
    events.wait_for("waiting task ended");
}
