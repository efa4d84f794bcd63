//! FastAPI's second example, "Schedule tasks within dependencies": `GetQuery`, an extractor,
//! takes the same `BackgroundTasks` as the handler and logs the query first; the handler then
//! logs the message. Both run after the response, in that order.

use background_tasks_example_support::escape_controls;
use std::collections::HashMap;
use std::future::{Ready, ready};
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::web::{self, ServiceConfig};
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use background_tasks::BackgroundTasks;
pub use background_tasks_example_support::dependency::write_log;

use crate::{Settings, json, post_only};

/// FastAPI's `get_query` dependency: the query parameter `q`, logged in the background when it is
/// given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetQuery(pub Option<String>);

impl FromRequest for GetQuery {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        ready(get_query(request, payload))
    }
}

fn get_query(request: &HttpRequest, payload: &mut Payload) -> Result<GetQuery, actix_web::Error> {
    let background_tasks = BackgroundTasks::from_request(request, payload).into_inner()?;
    let web::Query(mut params) =
        web::Query::<HashMap<String, String>>::from_query(request.query_string())?;
    let q = params.remove("q");
    if let Some(q) = q.as_deref().filter(|q| !q.is_empty()) {
        let message = format!("found query: {}\n", escape_controls(q));
        let settings = request
            .app_data::<web::Data<Arc<Settings>>>()
            .expect("the routes add the settings");
        let log_file = settings.log_file.clone();
        background_tasks.add_task(move || write_log(&log_file, &message));
    }
    Ok(GetQuery(q))
}

/// `POST /send-notification/{email}?q=…`: the dependency's task, then the handler's.
async fn send_notification(
    settings: web::Data<Arc<Settings>>,
    email: web::Path<String>,
    background_tasks: BackgroundTasks,
    GetQuery(_q): GetQuery,
) -> HttpResponse {
    let message = format!("message to {}\n", escape_controls(&email));
    let log_file = settings.log_file.clone();
    background_tasks.add_task(move || write_log(&log_file, &message));
    json(r#"{"message":"Message sent"}"#)
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
