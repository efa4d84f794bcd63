//! What a page and its live streams share: the page's settings and whether the streams are to
//! end. Its own module so that the streams need nothing of the page that makes them.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use background_tasks::Executor;
use background_tasks::status::Observer;
use event_listener::Event;

use crate::access::AccessHook;

/// The most queues one update of a live stream carries, but for the first update of a stream that
/// starts from nothing (which carries every kept queue); the least recently changed others are
/// left out, and the update says how many.
pub const MAX_QUEUES_PER_UPDATE: usize = 200;

pub(crate) struct Inner {
    pub(crate) observer: Observer,
    pub(crate) timer: Arc<dyn Executor>,
    pub(crate) access: AccessHook,
    pub(crate) pace: Duration,
    pub(crate) streams: Arc<Streams>,
}

/// Whether the live streams are to end, shared by a page and the pages configured from it.
#[derive(Default)]
pub(crate) struct Streams {
    ended: AtomicBool,
    ending: Event,
}

impl Streams {
    /// Tells every stream, open now or later, to end.
    pub(crate) fn end(&self) {
        self.ended.store(true, Ordering::Release);
        self.ending.notify(usize::MAX);
    }

    pub(crate) fn is_ended(&self) -> bool {
        self.ended.load(Ordering::Acquire)
    }

    /// Resolves once the streams are to end.
    pub(crate) async fn ended(&self) {
        loop {
            if self.is_ended() {
                return;
            }
            let listener = self.ending.listen();
            if self.is_ended() {
                return;
            }
            listener.await;
        }
    }
}
