//! [`Harness`]: what the suite needs from a runtime, and the helpers checks share.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::pin::Pin;
use std::sync::mpsc;
use std::task::{Context, Poll};
use std::time::Duration;

use background_tasks::Executor;

/// How long one check may take before the watchdog fails it. Checks finish in well under a second
/// when the executor is correct; the bound only turns a hang into a failure.
pub const CHECK_LIMIT: Duration = Duration::from_secs(60);

/// A runtime under test: builds it, hands out its [`Executor`], and blocks on futures.
///
/// One harness value is one fresh runtime, made for one check and dropped after it.
pub trait Harness: Sized + 'static {
    /// The executor under test.
    type Executor: Executor + Clone;

    /// Builds a fresh runtime whose executor polls spawned futures on **exactly one** thread (its
    /// blocking pool may have any number). With one async worker, a sync task run on that worker
    /// by mistake visibly stalls every async task, which is what the C5 checks detect.
    fn new() -> Self;

    /// The executor under test, spawning onto this runtime.
    fn executor(&self) -> Self::Executor;

    /// Runs `future` to its end on the calling thread, driving the runtime meanwhile if it is the
    /// kind that needs driving (a current-thread runtime, an `async_executor::Executor`).
    fn block_on<F: Future>(&self, future: F) -> F::Output;
}

/// Runs `check` on its own thread and fails if it panics or takes longer than `limit`.
///
/// # Panics
///
/// With the check's own panic, or when the limit passes.
pub fn watchdog(limit: Duration, check: fn()) {
    let (done, finished) = mpsc::channel();
    std::thread::Builder::new()
        .name("conformance-check".into())
        .spawn(move || {
            let _ = done.send(catch_unwind(check));
        })
        .expect("spawning the check thread");
    match finished.recv_timeout(limit) {
        Ok(Ok(())) => {}
        Ok(Err(payload)) => resume_unwind(payload),
        Err(_) => {
            panic!("the check did not finish within {limit:?}: a task, a run or the executor hung")
        }
    }
}

/// Returns `Pending` once, waking itself: lets other tasks run in between, on any runtime.
pub fn yield_now() -> impl Future<Output = ()> {
    struct YieldNow(bool);
    impl Future for YieldNow {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if self.0 {
                Poll::Ready(())
            } else {
                self.0 = true;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    }
    YieldNow(false)
}

/// Panic messages of the suite's deliberate panics start with this, so the quiet hook can hide them.
pub(crate) const DELIBERATE: &str = "deliberate panic";

/// Hides the default panic hook's output for the suite's deliberate panics (there are hundreds in
/// the property test); every other panic still prints.
pub(crate) fn quiet_deliberate_panics() {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let message = payload
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str));
            if !message.is_some_and(|m| m.starts_with(DELIBERATE)) {
                previous(info);
            }
        }));
    });
}

/// Makes a blocking wait on a std channel safe to call inside a task: the timeout bounds a check
/// that would otherwise hang if the executor is broken.
pub(crate) fn recv<T>(receiver: &mpsc::Receiver<T>, what: &str) -> T {
    receiver
        .recv_timeout(Duration::from_secs(20))
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

pub(crate) fn assert_unwind_safe<F: FnOnce() -> R, R>(f: F) -> std::thread::Result<R> {
    catch_unwind(AssertUnwindSafe(f))
}

/// A seeded pseudo-random generator (splitmix64), so that a check drawing random work draws the
/// same work on every run and a failure can be replayed from its seed.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (the modulo bias is negligible for the small `n` the checks use).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// A planned task's kind, for checks that draw queues at random.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Sync,
    Async,
}

/// How a planned task ends, and so what its report must say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum End {
    Succeed,
    Fail,
    Panic,
}

impl End {
    /// Ends the task labelled `label` as planned: its return value, or a deliberate panic.
    pub(crate) fn finish(self, label: &str) -> Result<(), String> {
        match self {
            Self::Succeed => Ok(()),
            Self::Fail => Err(format!("{label} failed")),
            Self::Panic => panic!("{DELIBERATE} in {label}"),
        }
    }

    /// The outcome a run must report for the task labelled `label` once it ran.
    pub(crate) fn outcome(self, label: &str) -> background_tasks::Outcome {
        match self {
            Self::Succeed => background_tasks::Outcome::Succeeded,
            Self::Fail => background_tasks::Outcome::Failed(format!("{label} failed")),
            Self::Panic => background_tasks::Outcome::Panicked(format!("{DELIBERATE} in {label}")),
        }
    }
}
