//! FastAPI's first example, "Schedule a task in a path operation": the handler takes
//! `BackgroundTasks` and queues a sync function that appends to the log file.

use std::sync::Arc;

use background_tasks::BackgroundTasks;
pub use background_tasks_example_support::send_notification::write_notification;
use poem::web::{Data, Path};
use poem::{Endpoint, EndpointExt, Response, Route, handler, post};

use crate::{Settings, json, method_not_allowed};

/// `POST /send-notification/{email}`: answers at once; the notification is written after the
/// response.
#[handler]
fn send_notification(
    Data(settings): Data<&Arc<Settings>>,
    Path(email): Path<String>,
    background_tasks: BackgroundTasks,
) -> Response {
    let log_file = settings.log_file.clone();
    background_tasks.add_task(move || write_notification(&log_file, &email, "some notification"));
    json(r#"{"message":"Notification sent in the background"}"#)
}

/// The example's app, for [`run`](crate::run) (which adds the middleware).
pub fn app(settings: &Settings) -> impl Endpoint + use<> {
    method_not_allowed(
        Route::new()
            .at("/send-notification/:email", post(send_notification))
            .data(Arc::new(settings.clone())),
    )
}
