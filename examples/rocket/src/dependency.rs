//! FastAPI's second example, "Schedule tasks within dependencies": `GetQuery`, a request guard,
//! takes the same `BackgroundTasks` as the handler and logs the query first; the handler then
//! logs the message. Both run after the response, in that order.

use background_tasks_example_support::escape_controls;
use std::sync::Arc;

use background_tasks::{BackgroundTasks, MissingBackgroundTasks};
pub use background_tasks_example_support::dependency::write_log;
use rocket::outcome::try_outcome;
use rocket::request::{FromRequest, Outcome};
use rocket::{Request, Route, State, post, routes};

use crate::{Json, Settings, json, post_only};

/// FastAPI's `get_query` dependency: the query parameter `q`, logged in the background when it is
/// given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetQuery(pub Option<String>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for GetQuery {
    type Error = MissingBackgroundTasks;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let background_tasks = try_outcome!(request.guard::<BackgroundTasks>().await);
        let q = request.query_value::<String>("q").and_then(Result::ok);
        if let Some(q) = q.as_deref().filter(|q| !q.is_empty()) {
            let message = format!("found query: {}\n", escape_controls(q));
            let settings = request
                .rocket()
                .state::<Arc<Settings>>()
                .expect("the app manages the settings");
            let log_file = settings.log_file.clone();
            background_tasks.add_task(move || write_log(&log_file, &message));
        }
        Outcome::Success(GetQuery(q))
    }
}

/// `POST /send-notification/{email}?q=…`: the dependency's task, then the handler's.
#[post("/send-notification/<email>")]
fn send_notification(
    settings: &State<Arc<Settings>>,
    email: String,
    background_tasks: BackgroundTasks,
    _q: GetQuery,
) -> Json {
    let message = format!("message to {}\n", escape_controls(&email));
    let log_file = settings.log_file.clone();
    background_tasks.add_task(move || write_log(&log_file, &message));
    json(r#"{"message":"Message sent"}"#)
}

/// The example's routes, for [`run`](crate::run).
pub fn routes() -> Vec<Route> {
    post_only("/send-notification/<email>", routes![send_notification])
}
