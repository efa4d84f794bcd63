//! FastAPI's first example on axum: the response first, then `write_notification` in the log.

mod common;

use std::time::Duration;

use background_tasks::Outcome;
use background_tasks_example_axum::send_notification;
use background_tasks_tower::{Decision, Ending};
use common::Server;

#[test]
fn send_notification_answers_then_writes_the_notification() {
    let server = Server::start(Duration::ZERO, send_notification::app);
    let mut client = server.client();

    client.post_ok(
        "/send-notification/ada@example.com",
        r#"{"message":"Notification sent in the background"}"#,
    );
    let report = server.next_report();
    assert_eq!(report.ending(), Ending::Completed);
    assert_eq!(report.decision(), Decision::Ran);
    assert_eq!(report.run().tasks().len(), 1);
    assert_eq!(report.run().tasks()[0].outcome, Outcome::Succeeded);
    assert_eq!(
        server.log(),
        "notification for ada@example.com: some notification\n"
    );

    // Same keep-alive connection, a percent-encoded email: decoded, appended.
    client.post_ok(
        "/send-notification/bob%40example.com",
        r#"{"message":"Notification sent in the background"}"#,
    );
    assert!(server.next_report().run().is_success());
    assert_eq!(
        server.log(),
        "notification for ada@example.com: some notification\n\
         notification for bob@example.com: some notification\n"
    );
}
