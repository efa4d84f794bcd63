//! The status page as `run` mounts it: under `EXAMPLE_STATUS_PREFIX`, in front of the
//! example's service, showing the example's own requests.

mod common;

use background_tasks_example_smol::{send_notification, with_status_page};
use common::Server;

#[test]
fn the_page_is_mounted_under_the_configured_prefix_and_shows_the_requests() {
    let server = Server::tuned(
        |settings| settings.status_prefix = "/ops/jobs/".to_owned(),
        |settings, layer| {
            let runner = layer.runner().clone();
            let service = send_notification::service(settings, layer);
            with_status_page(settings, service, runner).0
        },
    );
    let mut client = server.client();
    client.post_ok(
        "/send-notification/ada@example.com",
        r#"{"message":"Notification sent in the background"}"#,
    );
    assert!(server.next_report().run().is_success());

    let page = client.request("GET", "/ops/jobs/");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("app.js"));
    let snapshot = client.request("GET", "/ops/jobs/api/snapshot");
    assert_eq!(snapshot.status, 200);
    assert!(
        snapshot.body.contains(r#""access":"read_only""#),
        "{}",
        snapshot.body
    );
    assert!(
        snapshot
            .body
            .contains(r#""path":"/send-notification/ada@example.com""#),
        "{}",
        snapshot.body
    );
    assert!(snapshot.body.contains(r#""state":"succeeded""#));
    assert_eq!(
        client.request("GET", "/_tasks/").status,
        404,
        "only under the prefix"
    );
}
