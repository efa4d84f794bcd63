//! Routing by hand, for a server without a router: match `POST {prefix}{param}`, read a query
//! parameter, take the request's queue, answer JSON the way FastAPI does.
//!
//! The hyper-based examples' services ([`send_notification`](crate::send_notification),
//! [`dependency`](crate::dependency), [`async_cleanup`](crate::async_cleanup)) are built with
//! [`post_service`]: each keeps its handler and its route's prefix, this module does the matching
//! and the answers FastAPI gives when nothing matches.

use std::convert::Infallible;
use std::fmt;
use std::sync::Arc;

use background_tasks::{BackgroundTasks, Executor};
use background_tasks_tower::BackgroundTasksLayer;
use background_tasks_tower::ResponseBody;
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode, header};
use tower::{Layer, Service, service_fn};

use crate::Settings;

/// The body of the examples' responses: a JSON string, sent with its `Content-Length`.
pub type Body = Full<Bytes>;

/// What each example's service is: a tower service of hyper requests, answering with the layer's
/// bodies, never failing, cloned for each connection, its futures sent to the executor. The
/// examples' `serve` and `run` serve any such service.
pub trait ExampleService:
    Service<
        Request<Incoming>,
        Response = Response<ResponseBody<Body>>,
        Error = Infallible,
        Future: Send,
    > + Clone
    + Send
{
}

impl<S> ExampleService for S where
    S: Service<
            Request<Incoming>,
            Response = Response<ResponseBody<Body>>,
            Error = Infallible,
            Future: Send,
        > + Clone
        + Send
{
}

/// Why an example's handler did not run: the route did not match, or the request has no queue.
/// [`into_response`](Self::into_response) gives the answer FastAPI would.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rejection {
    /// No route has this path: `404 {"detail":"Not Found"}`.
    NotFound,
    /// The path matches, with another method: `405 {"detail":"Method Not Allowed"}`, with an
    /// `Allow` header naming this one.
    MethodNotAllowed(Method),
    /// No `BackgroundTasks` queue is in scope (the layer is missing): a `500` naming the layer.
    MissingBackgroundTasks,
}

impl Rejection {
    /// The response FastAPI gives in this case.
    pub fn into_response(self) -> Response<Body> {
        match self {
            Self::NotFound => json(StatusCode::NOT_FOUND, r#"{"detail":"Not Found"}"#),
            Self::MethodNotAllowed(allowed) => {
                let mut response = json(
                    StatusCode::METHOD_NOT_ALLOWED,
                    r#"{"detail":"Method Not Allowed"}"#,
                );
                let allow = header::HeaderValue::from_str(allowed.as_str())
                    .expect("a method is a valid header value");
                response.headers_mut().insert(header::ALLOW, allow);
                response
            }
            Self::MissingBackgroundTasks => json(
                StatusCode::INTERNAL_SERVER_ERROR,
                r#"{"detail":"this request has no BackgroundTasks queue: wrap the service in background_tasks_tower::BackgroundTasksLayer"}"#,
            ),
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotFound => f.write_str("no route has this path"),
            Self::MethodNotAllowed(allowed) => {
                write!(f, "this path takes {allowed} requests only")
            }
            Self::MissingBackgroundTasks => f.write_str(
                "this request has no BackgroundTasks queue: wrap the service in \
                 background_tasks_tower::BackgroundTasksLayer",
            ),
        }
    }
}

impl std::error::Error for Rejection {}

/// The path parameter of `{method} {prefix}{param}`, percent-decoded; a missing, empty or
/// multi-segment parameter is no match.
///
/// # Errors
///
/// [`Rejection::NotFound`], or [`Rejection::MethodNotAllowed`] when only the method differs.
pub fn path_param<B>(
    request: &Request<B>,
    method: &Method,
    prefix: &str,
) -> Result<String, Rejection> {
    let param = request
        .uri()
        .path()
        .strip_prefix(prefix)
        .filter(|param| !param.is_empty() && !param.contains('/'))
        .ok_or(Rejection::NotFound)?;
    if request.method() != method {
        return Err(Rejection::MethodNotAllowed(method.clone()));
    }
    Ok(percent_decode(param, false))
}

/// The first value of the query parameter `name`, decoded as a form (`+` is a space); `None`
/// when the query does not have it.
pub fn query_param<B>(request: &Request<B>, name: &str) -> Option<String> {
    request.uri().query()?.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode(key, true) == name).then(|| percent_decode(value, true))
    })
}

/// The request's queue, `BackgroundTasks::current()` while `BackgroundTasksLayer` runs the handler.
///
/// # Errors
///
/// [`Rejection::MissingBackgroundTasks`] when the layer is missing.
pub fn background_tasks() -> Result<BackgroundTasks, Rejection> {
    BackgroundTasks::current().ok_or(Rejection::MissingBackgroundTasks)
}

/// A response with a JSON body written by hand, as FastAPI returns a dict.
pub fn json(status: StatusCode, body: &'static str) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    response
}

/// A service answering `POST {prefix}{param}` with `handler(settings, request, param)` (the
/// parameter percent-decoded), behind `layer`, which runs each request's tasks after its response.
/// Any other request, or a [`Rejection`] from the handler, gets the answer FastAPI would give.
///
/// The handler runs while the service's future is polled, inside the layer's scope, so it can
/// take the request's queue with [`background_tasks()`].
///
/// # Examples
///
/// ```
/// use background_tasks_example_support::Settings;
/// use background_tasks_example_support::routing::{Body, Rejection, json, post_service};
/// # use background_tasks::{BlockingError, BlockingJob, BoxFuture, Executor};
/// # #[derive(Debug, Clone)] struct MyExecutor;
/// # impl Executor for MyExecutor {
/// #     fn spawn(&self, _: BoxFuture<()>) {}
/// #     fn spawn_blocking(&self, _: BlockingJob) -> BoxFuture<Result<(), BlockingError>> {
/// #         Box::pin(async { Ok(()) })
/// #     }
/// # }
/// use background_tasks_tower::BackgroundTasksLayer;
/// use hyper::body::Incoming;
/// use hyper::{Request, Response, StatusCode};
///
/// // `POST /hello/{name}`
/// fn hello(
///     _settings: &Settings,
///     _request: &Request<Incoming>,
///     _name: String,
/// ) -> Result<Response<Body>, Rejection> {
///     Ok(json(StatusCode::OK, r#"{"message":"hello"}"#))
/// }
///
/// let layer = BackgroundTasksLayer::new(MyExecutor);
/// let _service = post_service(&Settings::default(), layer, "/hello/", hello);
/// ```
pub fn post_service<E, H>(
    settings: &Settings,
    layer: BackgroundTasksLayer<E>,
    prefix: &'static str,
    handler: H,
) -> impl ExampleService + use<E, H>
where
    E: Executor + Clone,
    H: Fn(&Settings, &Request<Incoming>, String) -> Result<Response<Body>, Rejection>
        + Clone
        + Send
        + 'static,
{
    let settings = Arc::new(settings.clone());
    layer.layer(service_fn(move |request: Request<Incoming>| {
        let (settings, handler) = (Arc::clone(&settings), handler.clone());
        async move {
            let response = path_param(&request, &Method::POST, prefix)
                .and_then(|param| handler(&settings, &request, param));
            Ok::<_, Infallible>(response.unwrap_or_else(Rejection::into_response))
        }
    }))
}

/// Decodes `%XX` escapes (and `+` as a space in a query). Malformed escapes are kept as they are
/// and invalid UTF-8 is replaced, as Starlette's `unquote` does.
fn percent_decode(input: &str, plus_is_space: bool) -> String {
    let bytes = input.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .filter(|hex| hex.iter().all(u8::is_ascii_hexdigit));
        match (bytes[i], hex) {
            (b'%', Some(hex)) => {
                let hex = std::str::from_utf8(hex).expect("ASCII hex digits");
                decoded.push(u8::from_str_radix(hex, 16).expect("two hex digits"));
                i += 3;
            }
            (b'+', _) if plus_is_space => {
                decoded.push(b' ');
                i += 1;
            }
            (byte, _) => {
                decoded.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(uri: &str) -> Request<()> {
        Request::post(uri).body(()).unwrap()
    }

    #[test]
    fn path_param_matches_one_decoded_segment() {
        let route =
            |request: &Request<()>| path_param(request, &Method::POST, "/send-notification/");
        assert_eq!(
            route(&post("/send-notification/ada%40example.com?q=1")).unwrap(),
            "ada@example.com"
        );
        for uri in [
            "/send-notification/",
            "/send-notification/a/b",
            "/other/ada",
        ] {
            assert_eq!(route(&post(uri)), Err(Rejection::NotFound), "{uri}");
        }
        let get = Request::get("/send-notification/ada").body(()).unwrap();
        let response = route(&get).unwrap_err().into_response();
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.headers()[header::ALLOW], "POST");
    }

    #[test]
    fn query_param_decodes_forms() {
        let q = |uri| query_param(&post(uri), "q");
        assert_eq!(q("/x?q=rust+async%21&q=second"), Some("rust async!".into()));
        assert_eq!(q("/x?a=1&q="), Some(String::new()));
        assert_eq!(q("/x?q"), Some(String::new()));
        assert_eq!(q("/x?qq=1"), None);
        assert_eq!(q("/x"), None);
        assert_eq!(
            q("/x?q=100%"),
            Some("100%".into()),
            "a malformed escape is kept"
        );
    }
}
