//! A wrong method is answered as FastAPI answers it: `405 {"detail":"Method Not Allowed"}`.

mod common;

use std::time::Duration;

use background_tasks_example_poem::{async_cleanup, dependency, send_notification};
use background_tasks_example_support::checks;
use background_tasks_example_support::client::Replies;
use common::Server;

#[test]
fn wrong_method_is_a_json_405() {
    checks::wrong_method_is_a_json_405(&Server::start(Duration::ZERO, send_notification::app));
    checks::wrong_method_is_a_json_405(&Server::start(Duration::ZERO, dependency::app));
    let server = Server::start(Duration::ZERO, async_cleanup::app);
    let response = server.client().reply("GET", "/process/report.csv");
    assert_eq!(
        (response.status, &*response.body),
        (405, r#"{"detail":"Method Not Allowed"}"#)
    );
}
