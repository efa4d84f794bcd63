//! The status page as `run` mounts it: under `EXAMPLE_STATUS_PREFIX`, in front of the
//! example's service, showing the example's own requests.

mod common;

use background_tasks_example_smol::{send_notification, with_status_page};
use background_tasks_example_support::checks::{self, STATUS_PREFIX};
use common::Server;

#[test]
fn the_page_is_mounted_under_the_configured_prefix_and_shows_the_requests() {
    let server = Server::tuned(
        |settings| settings.status_prefix = STATUS_PREFIX.to_owned(),
        |settings, layer| {
            let runner = layer.runner().clone();
            let service = send_notification::service(settings, layer);
            with_status_page(settings, service, runner).0
        },
    );
    checks::status_page_is_mounted_under_the_prefix_and_shows_the_requests(&server);
}
