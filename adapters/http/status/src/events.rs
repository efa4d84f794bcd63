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
use crate::state::{Inner, MAX_QUEUES_PER_UPDATE};

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
    /// The last update was sent: the page asked the streams to end.
    Over,
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

    /// The next event's bytes (`None`: the stream is over), with the stream to ask for the one
    /// after.
    pub(crate) fn next(mut self) -> BoxFuture<(Self, Option<Bytes>)> {
        Box::pin(async move {
            if self.stage == Stage::Over {
                return (self, None);
            }
            if self.stage == Stage::Paced {
                if let Some(pace) = self.inner.timer.sleep(self.inner.pace) {
                    pace.await;
                }
                let inner = Arc::clone(&self.inner);
                let changed = inner.observer.changed(self.seen);
                let heartbeat = inner.timer.sleep(HEARTBEAT);
                match first_of(changed, inner.streams.ended(), heartbeat).await {
                    Wake::Changed | Wake::Ended => {}
                    Wake::Quiet => return (self, Some(Bytes::from_static(b": still here\n\n"))),
                }
            }
            // The first event sets how soon a cut stream's EventSource reconnects.
            let retry = match self.stage {
                Stage::First => "retry: 500\n",
                Stage::Paced | Stage::Over => "",
            };
            // A page that has nothing yet gets every kept queue at once, as `api/snapshot` gives
            // them (the window bounds it): nothing was merged away. Later updates are capped.
            let most = match (self.stage, self.seen) {
                (Stage::First, 0) => usize::MAX,
                _ => MAX_QUEUES_PER_UPDATE,
            };
            self.stage = match self.inner.streams.is_ended() {
                true => Stage::Over,
                false => Stage::Paced,
            };
            let observer = &self.inner.observer;
            let changes = observer.changes_since(self.seen, most);
            self.seen = changes.version;
            let data = json::state(observer, self.access, changes);
            let event = format!("{retry}id: {}\nevent: update\ndata: {data}\n\n", self.seen);
            (self, Some(Bytes::from(event)))
        })
    }
}

/// What ended a paced wait.
enum Wake {
    Changed,
    Ended,
    Quiet,
}

/// Polls the three waits until one is over.
async fn first_of(
    changed: impl Future<Output = ()>,
    ended: impl Future<Output = ()>,
    heartbeat: Option<BoxFuture<()>>,
) -> Wake {
    let (mut changed, mut ended) = (std::pin::pin!(changed), std::pin::pin!(ended));
    let mut heartbeat = heartbeat;
    std::future::poll_fn(move |cx| {
        if ended.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Wake::Ended);
        }
        if changed.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Wake::Changed);
        }
        let beat = heartbeat.as_mut().map(|beat| beat.as_mut().poll(cx));
        match beat {
            Some(Poll::Ready(())) => Poll::Ready(Wake::Quiet),
            _ => Poll::Pending,
        }
    })
    .await
}

/// The live stream as a `Stream` of chunks, for the frameworks whose streaming bodies take one
/// (actix-web, poem, Rocket).
#[cfg(any(feature = "actix", feature = "poem", feature = "rocket"))]
pub(crate) struct EventStream {
    next: Option<BoxFuture<(Events, Option<Bytes>)>>,
}

#[cfg(any(feature = "actix", feature = "poem", feature = "rocket"))]
impl EventStream {
    pub(crate) fn new(events: Events) -> Self {
        Self {
            next: Some(events.next()),
        }
    }
}

#[cfg(any(feature = "actix", feature = "poem", feature = "rocket"))]
impl futures_core::Stream for EventStream {
    // Never an error; io::Error because actix-web's and poem's streaming bodies take it.
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> Poll<Option<Self::Item>> {
        let Some(next) = &mut self.next else {
            return Poll::Ready(None);
        };
        match next.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready((events, Some(bytes))) => {
                self.next = Some(events.next());
                Poll::Ready(Some(Ok(bytes)))
            }
            Poll::Ready((_, None)) => {
                self.next = None;
                Poll::Ready(None)
            }
        }
    }
}
