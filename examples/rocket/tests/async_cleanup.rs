//! FastAPI's third example on Rocket: the response first, the cleanup after its sleep.

mod common;

use std::time::Duration;

use background_tasks_example_rocket::async_cleanup;
use background_tasks_example_support::checks;
use common::Server;

#[test]
fn async_cleanup_answers_then_cleans_up_after_its_sleep() {
    let delay = Duration::from_millis(200);
    let server = Server::start(delay, async_cleanup::routes);
    checks::async_cleanup_answers_then_cleans_up_after_its_sleep(&server, delay);
}
