//! [`BackgroundTasks`] as a Rocket request guard.
//!
//! The impl lives here rather than in `background-tasks-rocket` because Rust's orphan rule lets
//! only the crate that owns a type implement a foreign trait for it. Rocket runs request guards
//! inside the handler future it polls itself, where no integration can enter a scope, so the
//! request's queue comes from the [`SharedScope`] that `background_tasks_rocket`'s fairing puts in
//! the request's local cache when the request arrives.

use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};

use crate::integration::SharedScope;
use crate::{BackgroundTasks, MissingBackgroundTasks};

/// What a Rocket app without the fairing is told (in its log: Rocket answers a failed guard with
/// its `500` catcher, which does not see the guard's error): the fix, in Rocket's own terms.
const MISSING_FAIRING: &str = "missing background tasks: this request has no `BackgroundTasks` \
    queue; attach background_tasks_rocket::BackgroundTasksFairing to the app, e.g. \
    `rocket::build().attach(BackgroundTasksFairing::new(TokioExecutor::new()))`, and take the \
    queue as a request guard of the handler (`BackgroundTasks::current()` is not the request's \
    queue on Rocket)";

/// The request's queue: every guard and the handler that ask for it get the same queue, so tasks
/// run in the order they were added, as FastAPI shares one instance between dependencies and the
/// endpoint. The queue is created by the first guard that asks; a request that never asks costs
/// no allocation.
///
/// `Option<BackgroundTasks>` is `None` instead of failing when the fairing is missing (Rocket's
/// `FromRequest for Option<T>`).
///
/// # Errors
///
/// [`MissingBackgroundTasks`], with status `500 Internal Server Error`, when the app has no
/// `BackgroundTasksFairing`; it is logged as a `tracing` error event naming the fairing to attach
/// (Rocket's `500` catcher answers the client).
#[cfg_attr(docsrs, doc(cfg(feature = "rocket")))]
#[rocket::async_trait]
impl<'r> FromRequest<'r> for BackgroundTasks {
    type Error = MissingBackgroundTasks;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        match request.local_cache(SharedScope::default).tasks() {
            Some(tasks) => Outcome::Success(tasks),
            None => {
                tracing::error!(
                    error = MISSING_FAIRING,
                    "background tasks request guard rejected the request"
                );
                Outcome::Error((Status::InternalServerError, MissingBackgroundTasks::new()))
            }
        }
    }
}
