//! FastAPI's second example on poem: the dependency's task, then the handler's, in order.

mod common;

use std::time::Duration;

use background_tasks_example_poem::dependency;
use background_tasks_example_support::checks;
use common::Server;

#[test]
fn dependency_with_q_logs_the_query_then_the_message() {
    let server = Server::start(Duration::ZERO, dependency::app);
    checks::dependency_with_q_logs_the_query_then_the_message(&server);
}

#[test]
fn dependency_without_q_logs_only_the_message() {
    let server = Server::start(Duration::ZERO, dependency::app);
    checks::dependency_without_q_logs_only_the_message(&server);
}

#[test]
fn dependency_decodes_the_query() {
    let server = Server::start(Duration::ZERO, dependency::app);
    checks::dependency_decodes_the_query(&server);
}

#[test]
fn dependency_escapes_control_characters() {
    let server = Server::start(Duration::ZERO, dependency::app);
    checks::dependency_escapes_control_characters(&server);
}
