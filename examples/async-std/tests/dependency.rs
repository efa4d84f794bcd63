//! FastAPI's second example on async-std: the `get_query` dependency and the handler share one
//! queue.

mod common;

use std::time::Duration;

use background_tasks_example_async_std::dependency;
use common::Server;

const MESSAGE_SENT: &str = r#"{"message":"Message sent"}"#;

#[test]
fn dependency_with_q_logs_the_query_then_the_message() {
    let server = Server::start(Duration::ZERO, dependency::service);
    server
        .client()
        .post_ok("/send-notification/ada@example.com?q=rust", MESSAGE_SENT);
    let report = server.next_report();
    assert!(report.run().is_success(), "{report:?}");
    assert_eq!(report.run().tasks().len(), 2, "one queue for both");
    assert_eq!(
        server.log(),
        "found query: rust\nmessage to ada@example.com\n"
    );
}

#[test]
fn dependency_without_q_logs_only_the_message() {
    let server = Server::start(Duration::ZERO, dependency::service);
    let mut client = server.client();
    client.post_ok("/send-notification/ada@example.com", MESSAGE_SENT);
    assert_eq!(server.next_report().run().tasks().len(), 1);
    assert_eq!(server.log(), "message to ada@example.com\n");

    // An empty `q` is falsy in Python: `if q:` queues nothing either.
    client.post_ok("/send-notification/bob@example.com?q=", MESSAGE_SENT);
    assert_eq!(server.next_report().run().tasks().len(), 1);
    assert_eq!(
        server.log(),
        "message to ada@example.com\nmessage to bob@example.com\n"
    );
}

#[test]
fn dependency_decodes_the_query() {
    let server = Server::start(Duration::ZERO, dependency::service);
    server.client().post_ok(
        "/send-notification/ada@example.com?q=rust+async%21",
        MESSAGE_SENT,
    );
    assert!(server.next_report().run().is_success());
    assert_eq!(
        server.log(),
        "found query: rust async!\nmessage to ada@example.com\n"
    );
}
