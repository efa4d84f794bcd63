//! FastAPI's first example, "Schedule a task in a path operation": the handler takes
//! `BackgroundTasks` and queues a sync function that appends to the log file.

use std::sync::Arc;

use actix_web::HttpResponse;
use actix_web::web::{self, ServiceConfig};
use background_tasks::BackgroundTasks;
pub use background_tasks_example_support::send_notification::write_notification;

use crate::{Settings, json, post_only};

/// `POST /send-notification/{email}`: answers at once; the notification is written after the
/// response.
async fn send_notification(
    settings: web::Data<Arc<Settings>>,
    email: web::Path<String>,
    background_tasks: BackgroundTasks,
) -> HttpResponse {
    let log_file = settings.log_file.clone();
    let email = email.into_inner();
    background_tasks.add_task(move || write_notification(&log_file, &email, "some notification"));
    json(r#"{"message":"Notification sent in the background"}"#)
}

/// The example's routes, for `App::configure`.
pub fn routes(settings: &Settings) -> impl Fn(&mut ServiceConfig) + Clone + Send + use<> {
    let settings = web::Data::new(Arc::new(settings.clone()));
    move |config| {
        config.app_data(settings.clone()).service(post_only(
            "/send-notification/{email}",
            web::post().to(send_notification),
        ));
    }
}
