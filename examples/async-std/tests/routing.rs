//! Routing by hand answers what FastAPI would for requests that match no route.

mod common;

use std::time::Duration;

use background_tasks_example_async_std::send_notification;
use background_tasks_example_support::checks;
use common::Server;

#[test]
fn unknown_route_is_a_json_404() {
    let server = Server::start(Duration::ZERO, send_notification::service);
    checks::unknown_route_is_a_json_404(&server);
}

#[test]
fn wrong_method_is_a_json_405() {
    let server = Server::start(Duration::ZERO, send_notification::service);
    checks::wrong_method_is_a_json_405(&server);
}
