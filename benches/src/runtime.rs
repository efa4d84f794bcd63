//! [`Runtime`]: the raw primitives of each runtime, for the hand-written alternatives.

use std::future::Future;

/// A runtime's own spawn primitives, called directly (no [`Executor`](background_tasks::Executor)
/// in between): what a handler written without this library would call.
///
/// Implemented by the marker types [`Tokio`], [`Smol`] and [`AsyncStd`].
pub trait Runtime: Send + Sync + 'static {
    /// The runtime's name, as benchmark ids and results spell it.
    const NAME: &'static str;

    /// Spawns `future` as a detached task (`tokio::spawn`, `smol::spawn(..).detach()`,
    /// `async_std::task::spawn`).
    fn spawn<F>(future: F)
    where
        F: Future<Output = ()> + Send + 'static;

    /// Runs `work` on the blocking pool without waiting for it (`spawn_blocking`,
    /// `smol::unblock(..).detach()`).
    fn spawn_blocking<F>(work: F)
    where
        F: FnOnce() + Send + 'static;

    /// Runs `work` on the blocking pool and resolves once it has returned.
    ///
    /// # Panics
    ///
    /// The returned future panics if `work` panicked.
    fn unblock<F>(work: F) -> impl Future<Output = ()> + Send
    where
        F: FnOnce() + Send + 'static;
}

/// tokio's primitives. Call them inside a tokio runtime.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tokio;

impl Runtime for Tokio {
    const NAME: &'static str = "tokio";

    fn spawn<F>(future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        drop(tokio::spawn(future));
    }

    fn spawn_blocking<F>(work: F)
    where
        F: FnOnce() + Send + 'static,
    {
        drop(tokio::task::spawn_blocking(work));
    }

    fn unblock<F>(work: F) -> impl Future<Output = ()> + Send
    where
        F: FnOnce() + Send + 'static,
    {
        let handle = tokio::task::spawn_blocking(work);
        async move { handle.await.expect("the blocking job ran to its end") }
    }
}

/// smol's primitives: its global executor, and the `blocking` crate's pool.
#[derive(Debug, Clone, Copy, Default)]
pub struct Smol;

impl Runtime for Smol {
    const NAME: &'static str = "smol";

    fn spawn<F>(future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        smol::spawn(future).detach();
    }

    fn spawn_blocking<F>(work: F)
    where
        F: FnOnce() + Send + 'static,
    {
        smol::unblock(work).detach();
    }

    fn unblock<F>(work: F) -> impl Future<Output = ()> + Send
    where
        F: FnOnce() + Send + 'static,
    {
        smol::unblock(work)
    }
}

/// async-std's primitives (its global runtime).
#[derive(Debug, Clone, Copy, Default)]
pub struct AsyncStd;

impl Runtime for AsyncStd {
    const NAME: &'static str = "async-std";

    fn spawn<F>(future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        drop(async_std::task::spawn(future));
    }

    fn spawn_blocking<F>(work: F)
    where
        F: FnOnce() + Send + 'static,
    {
        drop(async_std::task::spawn_blocking(work));
    }

    fn unblock<F>(work: F) -> impl Future<Output = ()> + Send
    where
        F: FnOnce() + Send + 'static,
    {
        async_std::task::spawn_blocking(work)
    }
}
