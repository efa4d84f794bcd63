//! FastAPI's first example, "Schedule a task in a path operation": the handler takes
//! `BackgroundTasks` and queues a sync function that appends to the log file.

use std::sync::Arc;

use background_tasks::BackgroundTasks;
pub use background_tasks_example_support::send_notification::write_notification;
use rocket::{Route, State, post, routes};

use crate::{Json, Settings, json, post_only};

/// `POST /send-notification/{email}`: answers at once; the notification is written after the
/// response.
#[post("/send-notification/<email>")]
fn send_notification(
    settings: &State<Arc<Settings>>,
    email: String,
    background_tasks: BackgroundTasks,
) -> Json {
    let log_file = settings.log_file.clone();
    background_tasks.add_task(move || write_notification(&log_file, &email, "some notification"));
    json(r#"{"message":"Notification sent in the background"}"#)
}

/// The example's routes, for [`run`](crate::run).
pub fn routes() -> Vec<Route> {
    post_only("/send-notification/<email>", routes![send_notification])
}
