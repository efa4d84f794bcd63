//! FastAPI's second example, "Schedule tasks within dependencies": `GetQuery`, an extractor,
//! takes the same `BackgroundTasks` as the handler and logs the query first; the handler then
//! logs the message. Both run after the response, in that order.

use background_tasks_example_support::escape_controls;
use std::collections::HashMap;
use std::sync::Arc;

use background_tasks::BackgroundTasks;
pub use background_tasks_example_support::dependency::write_log;
use poem::web::{Data, Path, Query};
use poem::{
    Endpoint, EndpointExt, FromRequest, Request, RequestBody, Response, Route, handler, post,
};

use crate::{Settings, json, method_not_allowed};

/// FastAPI's `get_query` dependency: the query parameter `q`, logged in the background when it is
/// given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetQuery(pub Option<String>);

impl<'a> FromRequest<'a> for GetQuery {
    async fn from_request(request: &'a Request, body: &mut RequestBody) -> poem::Result<Self> {
        let background_tasks = BackgroundTasks::from_request(request, body).await?;
        let Query(mut params) =
            Query::<HashMap<String, String>>::from_request(request, body).await?;
        let q = params.remove("q");
        if let Some(q) = q.as_deref().filter(|q| !q.is_empty()) {
            let message = format!("found query: {}\n", escape_controls(q));
            let settings = request
                .data::<Arc<Settings>>()
                .expect("the app adds the settings");
            let log_file = settings.log_file.clone();
            background_tasks.add_task(move || write_log(&log_file, &message));
        }
        Ok(GetQuery(q))
    }
}

/// `POST /send-notification/{email}?q=…`: the dependency's task, then the handler's.
#[handler]
fn send_notification(
    Data(settings): Data<&Arc<Settings>>,
    Path(email): Path<String>,
    background_tasks: BackgroundTasks,
    GetQuery(_q): GetQuery,
) -> Response {
    let message = format!("message to {}\n", escape_controls(&email));
    let log_file = settings.log_file.clone();
    background_tasks.add_task(move || write_log(&log_file, &message));
    json(r#"{"message":"Message sent"}"#)
}

/// The example's app, for [`run`](crate::run) (which adds the middleware).
pub fn app(settings: &Settings) -> impl Endpoint + use<> {
    method_not_allowed(
        Route::new()
            .at("/send-notification/:email", post(send_notification))
            .data(Arc::new(settings.clone())),
    )
}
