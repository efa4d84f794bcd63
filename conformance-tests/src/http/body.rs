//! [`Chunks`]: a response body that logs its end, and can be held before it; [`EventStream`]: a
//! body of the events a check sends it.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_channel::{mpsc, oneshot};
use futures_core::Stream;
use http_body::{Body, Frame, SizeHint};
use hyper::body::Bytes;

use crate::http::Events;

/// What the chunks are made of.
static FILLER: [u8; 64 * 1024] = [b'x'; 64 * 1024];

/// A response body of equal chunks that logs `"{tag} body end"` to [`Events`] when it hands its
/// last frame to the server, so a check can see whether a task started before or after.
///
/// - By default it announces its exact length: the server sends `Content-Length` and, like with
///   `http_body_util::Full`, stops polling after the last chunk because `is_end_stream` says it is
///   over. [`streamed`](Self::streamed) makes it a stream of unknown length, sent chunked and polled
///   until it returns the end. [`declared`](Self::declared) makes it a stream whose length only
///   the response's `Content-Length` header tells (a file download): the server stops after the
///   declared bytes, never asking for the end.
/// - [`held_by`](Self::held_by) holds the last chunk back until a gate opens (logging
///   `"{tag} held"` when it first waits), so a check can look at the server while a response is
///   half-sent, without sleeping.
/// - [`yielding`](Self::yielding) returns `Pending` (waking itself) a few times before the last
///   chunk, giving the executor every chance to run a task that was started too early.
///
/// # Examples
///
/// ```
/// use background_tasks_conformance::http::{Chunks, Events};
///
/// let events = Events::default();
/// let (open, gate) = futures_channel::oneshot::channel::<()>();
/// // 4 × 1 KiB, chunked, the last chunk held until `open` is used or dropped.
/// let body = Chunks::new(&events, "report", 4, 1024).streamed().held_by(gate);
/// # let _ = (body, open);
/// ```
#[derive(Debug)]
pub struct Chunks {
    chunk: Bytes,
    remaining: usize,
    length: Length,
    gate: Option<oneshot::Receiver<()>>,
    yields: usize,
    tag: String,
    events: Events,
    held: bool,
    ended: bool,
}

impl Chunks {
    /// `chunks` chunks of `chunk_size` bytes, with an exact length, logging to `events` with `tag`.
    ///
    /// # Panics
    ///
    /// If `chunks` is 0 (a body that is over before it starts never logs its end) or `chunk_size`
    /// is 0 or above 64 KiB.
    pub fn new(events: &Events, tag: impl Into<String>, chunks: usize, chunk_size: usize) -> Self {
        assert!(chunks > 0, "a body needs at least one chunk to log its end");
        assert!(
            (1..=FILLER.len()).contains(&chunk_size),
            "chunks are 1 byte to 64 KiB"
        );
        Self {
            chunk: Bytes::from_static(&FILLER[..chunk_size]),
            remaining: chunks,
            length: Length::Exact,
            gate: None,
            yields: 0,
            tag: tag.into(),
            events: events.clone(),
            held: false,
            ended: false,
        }
    }

    /// Makes the length unknown: sent chunked, ended by `poll_frame` returning `None`.
    pub fn streamed(mut self) -> Self {
        self.length = Length::Unknown;
        self
    }

    /// Makes the length unknown to the body but declared by the response: put
    /// [`content_length`](Self::content_length) in its `Content-Length` header. The server stops
    /// polling after the last chunk, so that is where the body logs its end.
    pub fn declared(mut self) -> Self {
        self.length = Length::Declared;
        self
    }

    /// Whether only the response's `Content-Length` header tells the length (see
    /// [`declared`](Self::declared)): a harness puts [`content_length`](Self::content_length)
    /// there.
    pub fn is_declared(&self) -> bool {
        self.length == Length::Declared
    }

    /// The value for the response's `Content-Length` header.
    pub fn content_length(&self) -> http::HeaderValue {
        http::HeaderValue::from(self.len())
    }

    /// Holds the last chunk until `gate` receives a value or its sender is dropped.
    pub fn held_by(mut self, gate: oneshot::Receiver<()>) -> Self {
        self.gate = Some(gate);
        self
    }

    /// Returns `Pending` `times` times (waking itself each time) before the last chunk.
    pub fn yielding(mut self, times: usize) -> Self {
        self.yields = times;
        self
    }

    /// The total length in bytes.
    pub fn len(&self) -> usize {
        self.remaining * self.chunk.len()
    }

    /// Whether no bytes are left to send.
    pub fn is_empty(&self) -> bool {
        self.remaining == 0
    }

    fn end(&mut self) {
        if !self.ended {
            self.ended = true;
            self.events.push(format!("{} body end", self.tag));
        }
    }
}

impl Body for Chunks {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        if this.remaining == 0 {
            this.end();
            return Poll::Ready(None);
        }
        if this.remaining == 1 {
            if let Some(gate) = &mut this.gate {
                if !this.held {
                    this.held = true;
                    this.events.push(format!("{} held", this.tag));
                }
                // Opened by a value or by the sender going away: either way, carry on.
                if Pin::new(gate).poll(cx).is_pending() {
                    return Poll::Pending;
                }
                this.gate = None;
            }
            if this.yields > 0 {
                this.yields -= 1;
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
        }
        this.remaining -= 1;
        if this.remaining == 0 && this.length != Length::Unknown {
            this.end();
        }
        Poll::Ready(Some(Ok(Frame::data(this.chunk.clone()))))
    }

    fn is_end_stream(&self) -> bool {
        self.length == Length::Exact && self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        match self.length {
            Length::Exact => SizeHint::with_exact(self.len() as u64),
            Length::Declared | Length::Unknown => SizeHint::default(),
        }
    }
}

/// Who knows a [`Chunks`] body's length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Length {
    /// The body: `size_hint` is exact and `is_end_stream` true after the last chunk.
    Exact,
    /// Only the response's `Content-Length` header.
    Declared,
    /// Nobody: the body is sent chunked.
    Unknown,
}

/// A response body of the events a channel receives (server-sent events, say), of unknown length
/// (sent chunked), ended when the channel closes, logging `"events body end"` to [`Events`] then.
///
/// # Examples
///
/// ```
/// use background_tasks_conformance::http::{EventStream, Events};
/// use hyper::body::Bytes;
///
/// let events = Events::default();
/// let (send, receive) = futures_channel::mpsc::unbounded::<Bytes>();
/// let body = EventStream::new(receive, &events);
/// send.unbounded_send(Bytes::from("data: hello\n\n")).unwrap();
/// # let _ = body;
/// ```
#[derive(Debug)]
pub struct EventStream {
    events: mpsc::UnboundedReceiver<Bytes>,
    log: Events,
}

impl EventStream {
    /// Sends what `events` receives; logs to `log` when it closes.
    pub fn new(events: mpsc::UnboundedReceiver<Bytes>, log: &Events) -> Self {
        Self {
            events,
            log: log.clone(),
        }
    }
}

impl Body for EventStream {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.events).poll_next(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(event)) => Poll::Ready(Some(Ok(Frame::data(event)))),
            Poll::Ready(None) => {
                this.log.push("events body end");
                Poll::Ready(None)
            }
        }
    }
}
