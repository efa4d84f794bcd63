//! The live stream: Server-Sent Events, one update per change at most every `pace`, each
//! carrying every queue changed since the last (the least recently changed left out, and
//! counted, beyond a maximum), with the version as the event's id so that a reconnecting
//! `EventSource` resumes with `Last-Event-ID`.

use std::future::Future;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use background_tasks::BoxFuture;
use bytes::Bytes;

use crate::access::Access;
use crate::json;
use crate::page::{Inner, MAX_QUEUES_PER_UPDATE};

/// A stream with nothing to say for this long sends a comment, so that a dead connection is
/// noticed and a proxy does not close a quiet one.
const HEARTBEAT: Duration = Duration::from_secs(15);

/// One client's live stream.
pub(crate) struct Events {
    inner: Arc<Inner>,
    access: Access,
    /// The version the client has seen.
    seen: u64,
    stage: Stage,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// The first update goes out at once: everything since `seen`.
    First,
    /// Later ones wait for a change, no sooner than `pace` after the last.
    Paced,
}

impl Events {
    pub(crate) fn new(inner: Arc<Inner>, access: Access, seen: u64) -> Self {
        Self {
            inner,
            access,
            seen,
            stage: Stage::First,
        }
    }

    /// The next event's bytes, with the stream to ask for the one after.
    pub(crate) fn next(mut self) -> BoxFuture<(Self, Bytes)> {
        Box::pin(async move {
            if self.stage == Stage::Paced {
                if let Some(pace) = self.inner.timer.sleep(self.inner.pace) {
                    pace.await;
                }
                let changed = self.inner.observer.changed(self.seen);
                let quiet = match self.inner.timer.sleep(HEARTBEAT) {
                    Some(heartbeat) => !first_of(changed, heartbeat).await,
                    None => {
                        changed.await;
                        false
                    }
                };
                if quiet {
                    return (self, Bytes::from_static(b": still here\n\n"));
                }
            }
            // The first event sets how soon a cut stream's EventSource reconnects.
            let retry = match self.stage {
                Stage::First => "retry: 500\n",
                Stage::Paced => "",
            };
            self.stage = Stage::Paced;
            let observer = &self.inner.observer;
            let changes = observer.changes_since(self.seen, MAX_QUEUES_PER_UPDATE);
            self.seen = changes.version;
            let data = json::state(observer, self.access, changes);
            let event = format!("{retry}id: {}\nevent: update\ndata: {data}\n\n", self.seen);
            (self, Bytes::from(event))
        })
    }
}

/// Polls both; `true` if `first` finished first.
async fn first_of(first: impl Future<Output = ()>, second: BoxFuture<()>) -> bool {
    let mut first = std::pin::pin!(first);
    let mut second = second;
    std::future::poll_fn(move |cx| {
        if first.as_mut().poll(cx).is_ready() {
            Poll::Ready(true)
        } else if second.as_mut().poll(cx).is_ready() {
            Poll::Ready(false)
        } else {
            Poll::Pending
        }
    })
    .await
}
