//! [`Gate`]: where the checks hold tasks until they have seen what they wait for.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::Waker;
use std::time::Duration;

/// A gate that tasks wait at, sync ones blocking and async ones pending, until the check opens it.
///
/// A blocking wait gives up after the gate's limit, so a broken executor or check fails instead
/// of hanging a pool thread forever.
#[derive(Clone)]
pub(crate) struct Gate {
    state: Arc<(Mutex<GateState>, Condvar)>,
    limit: Duration,
}

#[derive(Default)]
struct GateState {
    open: bool,
    wakers: Vec<Waker>,
}

impl Gate {
    /// A shut gate whose [`wait`](Self::wait) fails after `limit`.
    pub(crate) fn new(limit: Duration) -> Self {
        Self {
            state: Arc::default(),
            limit,
        }
    }

    /// Opens the gate, for good: lets every waiting task go, and every later one through.
    pub(crate) fn open(&self) {
        let (state, changed) = &*self.state;
        let wakers = {
            let mut state = lock(state);
            state.open = true;
            std::mem::take(&mut state.wakers)
        };
        changed.notify_all();
        wakers.into_iter().for_each(Waker::wake);
    }

    /// Blocks until the gate opens.
    ///
    /// # Errors
    ///
    /// When the gate's limit passes first.
    pub(crate) fn wait(&self) -> Result<(), String> {
        let (state, changed) = &*self.state;
        let (state, _) = changed
            .wait_timeout_while(lock(state), self.limit, |state| !state.open)
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if state.open {
            Ok(())
        } else {
            Err("the gate was never opened".into())
        }
    }

    /// Resolves once the gate opens.
    #[cfg(feature = "http")]
    pub(crate) fn opened(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let gate = self.clone();
        std::future::poll_fn(move |cx| {
            let mut state = lock(&gate.state.0);
            if state.open {
                std::task::Poll::Ready(())
            } else {
                state.wakers.push(cx.waker().clone());
                std::task::Poll::Pending
            }
        })
    }
}

/// Locks `mutex`, ignoring poisoning: a check that panicked while holding it fails on its own.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
