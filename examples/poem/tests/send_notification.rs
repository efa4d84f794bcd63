//! FastAPI's first example on poem: the response first, then `write_notification` in the log.

mod common;

use std::time::Duration;

use background_tasks_example_poem::send_notification;
use background_tasks_example_support::checks;
use common::Server;

#[test]
fn send_notification_answers_then_writes_the_notification() {
    let server = Server::start(Duration::ZERO, send_notification::app);
    checks::send_notification_answers_then_writes_the_notification(&server);
}

#[test]
fn send_notification_escapes_control_characters() {
    let server = Server::start(Duration::ZERO, send_notification::app);
    checks::send_notification_escapes_control_characters(&server);
}
