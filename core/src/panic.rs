//! Panics caught where tasks run: [`CatchUnwind`] for futures, [`panic_message`] for payloads.

use std::future::Future;
use std::pin::Pin;

/// Polls `future`, turning a panic during any poll into `Err(message)`.
pub(crate) struct CatchUnwind<F> {
    pub(crate) future: F,
}

impl<F: Future + Unpin> Future for CatchUnwind<F> {
    type Output = Result<F::Output, String>;

    fn poll(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        let future = &mut self.future;
        // A task that panicked is never polled again, so no broken invariant is observed later.
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| Pin::new(future).poll(cx))) {
            Ok(poll) => poll.map(Ok),
            Err(payload) => std::task::Poll::Ready(Err(panic_message(payload.as_ref()))),
        }
    }
}

/// The message a panic was raised with, when it was a string.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(message) = payload.downcast_ref::<&'static str>() {
        (*message).to_owned()
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message.clone()
    } else {
        "a panic with a non-string payload".to_owned()
    }
}
