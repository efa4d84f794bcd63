//! The status page as `run` mounts it on Rocket: under `EXAMPLE_STATUS_PREFIX`, read-only for a
//! loopback peer, showing the example's own requests.

mod common;

use background_tasks_example_rocket::send_notification;
use background_tasks_example_support::checks::{self, STATUS_PREFIX};
use common::Server;

#[test]
fn the_page_is_mounted_under_the_configured_prefix_and_shows_the_requests() {
    let server = Server::tuned(
        |settings| settings.status_prefix = STATUS_PREFIX.to_owned(),
        send_notification::routes,
    );
    checks::status_page_is_mounted_under_the_prefix_and_shows_the_requests(&server);
}
