//! Routing by hand answers what FastAPI would for requests that match no route.

mod common;

use std::time::Duration;

use background_tasks_example_async_std::send_notification;
use common::Server;

#[test]
fn unknown_route_is_a_json_404() {
    let server = Server::start(Duration::ZERO, send_notification::service);
    let mut client = server.client();
    for target in ["/", "/send-notification/", "/send-notification/a/b"] {
        let response = client.request("POST", target);
        assert_eq!(response.status, 404, "{target}");
        assert_eq!(response.body, r#"{"detail":"Not Found"}"#);
    }
    assert_eq!(server.log(), "", "no task ran");
}

#[test]
fn wrong_method_is_a_json_405() {
    let server = Server::start(Duration::ZERO, send_notification::service);
    let response = server
        .client()
        .request("GET", "/send-notification/ada@example.com");
    assert_eq!(response.status, 405);
    assert_eq!(response.body, r#"{"detail":"Method Not Allowed"}"#);
}
