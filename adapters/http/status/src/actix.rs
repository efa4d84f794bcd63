//! The page on actix-web (feature `actix`): a scope to add to an `App` under any prefix.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, Scope, web};

use crate::access::{Caller, Headers};
use crate::events::EventStream;
use crate::page::{Reply, ReplyBody, StatusPage};

impl StatusPage {
    /// The page as an actix-web scope at `prefix` (say `"/_tasks"`): add it to an `App` with
    /// `App::service`. Open it with the trailing slash (`/_tasks/`): the page's URLs are relative
    /// to it. The peer address is actix-web's own (`HttpRequest::peer_addr`).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo(page: background_tasks_status::StatusPage) {
    /// use actix_web::{App, HttpServer};
    ///
    /// let server = HttpServer::new(move || App::new().service(page.actix_scope("/_tasks")));
    /// # let _ = server;
    /// # }
    /// ```
    pub fn actix_scope(&self, prefix: &str) -> Scope {
        web::scope(prefix.trim_end_matches('/'))
            .app_data(web::Data::new(self.clone()))
            .default_service(web::to(answer))
    }
}

impl Headers for actix_web::http::header::HeaderMap {
    fn get(&self, name: &str) -> Option<&str> {
        actix_web::http::header::HeaderMap::get(self, name).and_then(|value| value.to_str().ok())
    }
}

async fn answer(request: HttpRequest, page: web::Data<StatusPage>) -> HttpResponse {
    let caller = Caller {
        method: request.method().as_str(),
        path: request.path(),
        peer: request.peer_addr(),
        headers: request.headers(),
    };
    let resume = request
        .headers()
        .get("last-event-id")
        .and_then(|value| value.to_str().ok());
    let query = Some(request.query_string()).filter(|query| !query.is_empty());
    let Reply {
        status,
        content_type,
        body,
    } = page.answer(&caller, query, resume);
    let mut response =
        HttpResponse::build(StatusCode::from_u16(status).expect("the page's statuses are valid"));
    response.insert_header(("content-type", content_type));
    for header in Reply::HEADERS {
        response.insert_header(header);
    }
    match body {
        ReplyBody::Full(bytes) => response.body(bytes),
        ReplyBody::Events(events) => response.streaming(EventStream::new(events)),
    }
}
