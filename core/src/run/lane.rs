//! [`Lane`]: how queues that start with sync work reach the blocking pool.
//!
//! Each such queue could take a blocking-pool job of its own, but under load that wakes a parked
//! pool thread for every request, and on a busy CPU the switches cost more than the work
//! (BENCHMARKS.md). A lane hands its starts to drainers instead: pool jobs that run the starts
//! waiting in the lane, one after another, until none is left (after yielding the CPU once, so
//! that starts on their way can arrive). A start waits only for a drainer that is free (on its
//! way, or between two starts). If every drainer is in the middle of a start, it waits at most
//! [`PATIENCE`]: then a watchdog puts a new drainer on each start still waiting, so a sync task
//! that blocks holds up another queue for no longer than that (plus the timer's own lateness). The
//! drainers the watchdog found busy are *stuck*: while every busy drainer is stuck, waiting would
//! be in vain, and a start gets a drainer of its own at once. With an executor that has no timer,
//! a start that finds no free drainer gets one of its own.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

use crate::executor::{BlockingJob, Executor};

/// How long a start may wait for busy drainers before the watchdog puts new ones on it.
pub(super) const PATIENCE: Duration = Duration::from_millis(1);

/// The starts waiting for a drainer, and the drainers' whereabouts. Shared by a runner's clones.
#[derive(Default)]
pub(super) struct Lane {
    books: Mutex<Books>,
}

impl std::fmt::Debug for Lane {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let books = self.books.lock();
        f.debug_struct("Lane")
            .field("waiting", &books.waiting.len())
            .field("free", &books.free)
            .field("busy", &books.busy)
            .field("stuck", &books.stuck)
            .field("watchdog", &books.watchdog)
            .finish()
    }
}

#[derive(Default)]
struct Books {
    waiting: VecDeque<BlockingJob>,
    /// Drainers that will take a waiting start before running anything else: spawned and not yet
    /// running, or between two starts.
    free: usize,
    /// Drainers running a start.
    busy: usize,
    /// Busy drainers that were already busy when the watchdog last found starts waiting on them.
    stuck: usize,
    /// How many times the watchdog has found starts waiting: a drainer whose start began before
    /// the last time is one of the stuck.
    sightings: u64,
    watchdog: Watchdog,
}

/// Whether a watchdog is on its way for the starts waiting on busy drainers.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Watchdog {
    #[default]
    Off,
    Armed,
}

impl Books {
    /// Whether every drainer is busy and stuck: a start that waited for one would wait in vain.
    fn all_stuck(&self) -> bool {
        self.free == 0 && self.busy > 0 && self.stuck == self.busy
    }

    /// A drainer ends the start it took at `sighting`.
    fn start_ended(&mut self, sighting: u64) {
        self.busy -= 1;
        if sighting != self.sightings {
            self.stuck -= 1;
        }
    }

    /// Whether starts wait with no free drainer to take them and no watch on its way: the caller
    /// must arm one (this marks it armed).
    fn needs_a_watch(&mut self) -> bool {
        let needed = self.free == 0 && !self.waiting.is_empty() && self.watchdog == Watchdog::Off;
        if needed {
            self.watchdog = Watchdog::Armed;
        }
        needed
    }
}

impl Lane {
    /// Runs `start` on the blocking pool: by a free drainer, by one of the busy ones within
    /// [`PATIENCE`], or by a new drainer.
    pub(super) fn submit<E: Executor + Clone>(self: &Arc<Self>, executor: &E, start: BlockingJob) {
        let (drain, watch) = {
            let mut books = self.books.lock();
            books.waiting.push_back(start);
            if (books.free == 0 && books.busy == 0) || books.all_stuck() {
                books.free += 1;
                (true, false)
            } else {
                (false, books.needs_a_watch())
            }
        };
        if drain {
            Drainer::spawn(self, executor);
        }
        if watch {
            self.watch(executor);
        }
    }

    /// Arms the watch: after [`PATIENCE`], whatever still waits gets drainers.
    fn watch<E: Executor + Clone>(self: &Arc<Self>, executor: &E) {
        let Some(sleep) = executor.sleep(PATIENCE) else {
            // No timer to bound a wait: no waiting on busy drainers.
            return self.unwatch(executor);
        };
        let watch = Errand {
            lane: Arc::clone(self),
            executor: executor.clone(),
        };
        executor.spawn(Box::pin(async move {
            sleep.await;
            // The drop does the errand; also if the executor drops this future unfinished.
            drop(watch);
        }));
    }

    /// Ends a watch: a new drainer for each start still waiting that no free drainer will take.
    fn unwatch<E: Executor + Clone>(self: &Arc<Self>, executor: &E) {
        let needed = {
            let mut books = self.books.lock();
            books.watchdog = Watchdog::Off;
            let needed = books.waiting.len().saturating_sub(books.free);
            if needed > 0 {
                // Starts waited out the patience: every drainer busy now is stuck.
                books.sightings += 1;
                books.stuck = books.busy;
            }
            books.free += needed;
            needed
        };
        for _ in 0..needed {
            Drainer::spawn(self, executor);
        }
    }
}

/// The watchdog's errand, done when it is dropped.
struct Errand<E: Executor + Clone> {
    lane: Arc<Lane>,
    executor: E,
}

impl<E: Executor + Clone> Drop for Errand<E> {
    fn drop(&mut self) {
        self.lane.unwatch(&self.executor);
    }
}

/// A pool job that runs the lane's starts until none is left.
struct Drainer<E: Executor + Clone> {
    lane: Arc<Lane>,
    executor: E,
    stage: Whereabouts,
}

/// Where a drainer is, and so what its drop must put right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Whereabouts {
    /// Spawned, not yet run by the pool (counted as free).
    Unstarted,
    /// Running, between starts (counted as free).
    Free,
    /// Running a start taken at the watchdog's nth sighting (counted as busy, and as stuck once
    /// the watchdog sights again).
    Busy(u64),
    /// Left the lane: counted nowhere.
    Gone,
}

impl<E: Executor + Clone> Drainer<E> {
    /// Spawns a drainer already counted as free.
    fn spawn(lane: &Arc<Lane>, executor: &E) {
        let drainer = Self {
            lane: Arc::clone(lane),
            executor: executor.clone(),
            stage: Whereabouts::Unstarted,
        };
        executor.spawn_blocking_detached(Box::new(move || drainer.run()));
    }

    fn run(mut self) {
        self.stage = Whereabouts::Free;
        // Held from one start's end to the next's pick: one lock round-trip per start.
        let mut books = self.lane.books.lock();
        let mut yielded = false;
        loop {
            let Some(start) = books.waiting.pop_front() else {
                if !yielded {
                    // Before leaving, let the threads that submit run once: on a shared CPU the
                    // next starts arrive while this one waits its turn, and it takes them
                    // instead of a new drainer being woken for them.
                    drop(books);
                    yielded = true;
                    std::thread::yield_now();
                    books = self.lane.books.lock();
                    continue;
                }
                books.free -= 1;
                self.stage = Whereabouts::Gone;
                return;
            };
            yielded = false;
            books.free -= 1;
            books.busy += 1;
            let sighting = books.sightings;
            self.stage = Whereabouts::Busy(sighting);
            // Starts left behind this one wait on it: at most for the watch's patience.
            let watch = books.needs_a_watch();
            drop(books);
            if watch {
                self.lane.watch(&self.executor);
            }
            // A start settles its own tasks' panics; one from a report hook must not take the
            // starts waiting behind it down too.
            let _ = catch_unwind(AssertUnwindSafe(start));
            books = self.lane.books.lock();
            books.start_ended(sighting);
            books.free += 1;
            self.stage = Whereabouts::Free;
        }
    }
}

impl<E: Executor + Clone> Drop for Drainer<E> {
    fn drop(&mut self) {
        let stage = std::mem::replace(&mut self.stage, Whereabouts::Gone);
        let stranded = {
            let mut books = self.lane.books.lock();
            match stage {
                Whereabouts::Gone => return,
                Whereabouts::Unstarted | Whereabouts::Free => books.free -= 1,
                Whereabouts::Busy(sighting) => books.start_ended(sighting),
            }
            // The executor dropped this drainer unrun (it is shutting down, or lost the job). If
            // no other drainer will come back to the lane, what waits there would never start:
            // dropped now, each start reports its queue as abandoned.
            if books.free == 0 && books.busy == 0 {
                std::mem::take(&mut books.waiting)
            } else {
                VecDeque::new()
            }
        };
        drop(stranded);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::task::{Context, Poll, Waker};

    use super::*;
    use crate::executor::{BlockingError, BoxFuture};

    /// An executor that keeps what it is given for the test to run: blocking jobs in a list, spawned
    /// futures in another; its timer, if it has one, is due at once.
    #[derive(Clone, Default)]
    struct Manual {
        jobs: Arc<Mutex<Vec<BlockingJob>>>,
        futures: Arc<Mutex<Vec<BoxFuture<()>>>>,
        timerless: bool,
    }

    impl Manual {
        fn take_jobs(&self) -> Vec<BlockingJob> {
            std::mem::take(&mut *self.jobs.lock())
        }

        /// Polls every spawned future once (the watch's timer is due at once).
        fn poll_futures(&self) {
            let futures = std::mem::take(&mut *self.futures.lock());
            let mut cx = Context::from_waker(Waker::noop());
            for mut future in futures {
                assert_eq!(future.as_mut().poll(&mut cx), Poll::Ready(()));
            }
        }
    }

    impl Executor for Manual {
        fn spawn(&self, future: BoxFuture<()>) {
            self.futures.lock().push(future);
        }

        fn spawn_blocking(&self, _: BlockingJob) -> BoxFuture<Result<(), BlockingError>> {
            unreachable!("the lane only detaches its drainers")
        }

        fn spawn_blocking_detached(&self, job: BlockingJob) {
            self.jobs.lock().push(job);
        }

        fn sleep(&self, _: Duration) -> Option<BoxFuture<()>> {
            (!self.timerless).then(|| Box::pin(async {}) as BoxFuture<()>)
        }
    }

    impl Manual {
        /// Runs the blocking jobs given so far, on this thread.
        fn run_jobs(&self) {
            self.take_jobs().into_iter().for_each(|job| job());
        }
    }

    /// A start that says when it has started, then blocks until released.
    fn blocking_start() -> (BlockingJob, mpsc::Receiver<()>, mpsc::Sender<()>) {
        let (started, blocker_started) = mpsc::channel();
        let (release, held) = mpsc::channel::<()>();
        let start = Box::new(move || {
            started.send(()).unwrap();
            held.recv().unwrap();
        });
        (start, blocker_started, release)
    }

    fn logging(log: &mpsc::Sender<&'static str>, entry: &'static str) -> BlockingJob {
        let log = log.clone();
        Box::new(move || log.send(entry).unwrap())
    }

    #[test]
    fn starts_that_find_a_drainer_on_its_way_share_it() {
        let (lane, executor) = (Arc::new(Lane::default()), Manual::default());
        let (log, logged) = mpsc::channel();
        for entry in ["a", "b", "c"] {
            lane.submit(&executor, logging(&log, entry));
        }
        let drainers = executor.take_jobs();
        assert_eq!(drainers.len(), 1, "one pool job for the three starts");
        drainers.into_iter().for_each(|drainer| drainer());
        assert_eq!(logged.try_iter().collect::<Vec<_>>(), ["a", "b", "c"]);
        // The lane is empty again: the next start gets a drainer of its own.
        lane.submit(&executor, logging(&log, "d"));
        assert_eq!(executor.take_jobs().len(), 1);
    }

    #[test]
    fn a_start_behind_a_busy_drainer_gets_a_new_one_from_the_watchdog() {
        let (lane, executor) = (Arc::new(Lane::default()), Manual::default());
        let (blocker, blocker_started, release) = blocking_start();
        lane.submit(&executor, blocker);
        let mut drainers = executor.take_jobs();
        let first = std::thread::spawn(drainers.remove(0));
        blocker_started.recv().unwrap();

        let (log, logged) = mpsc::channel();
        lane.submit(&executor, logging(&log, "behind"));
        assert!(
            executor.take_jobs().is_empty(),
            "it waits for the busy one first"
        );
        executor.poll_futures(); // the watch is due
        let drainers = executor.take_jobs();
        assert_eq!(drainers.len(), 1, "the watchdog put a drainer on it");
        drainers.into_iter().for_each(|drainer| drainer());
        assert_eq!(
            logged.try_recv(),
            Ok("behind"),
            "ran while the first still blocks"
        );

        release.send(()).unwrap();
        first.join().unwrap();
    }

    #[test]
    fn once_the_watchdog_found_every_drainer_stuck_starts_get_drainers_at_once() {
        let (lane, executor) = (Arc::new(Lane::default()), Manual::default());
        let (blocker, blocker_started, release) = blocking_start();
        lane.submit(&executor, blocker);
        let first = std::thread::spawn(executor.take_jobs().remove(0));
        blocker_started.recv().unwrap();
        let (log, logged) = mpsc::channel();
        lane.submit(&executor, logging(&log, "behind"));
        executor.poll_futures(); // the watch is due: the blocker's drainer is stuck
        executor.run_jobs();
        assert_eq!(logged.try_recv(), Ok("behind"));

        // Every busy drainer is stuck: the next start waits for no watchdog.
        lane.submit(&executor, logging(&log, "next"));
        let drainers = executor.take_jobs();
        assert_eq!(drainers.len(), 1, "a drainer at once");
        assert!(executor.futures.lock().is_empty(), "no watch armed");
        drainers.into_iter().for_each(|drainer| drainer());
        assert_eq!(logged.try_recv(), Ok("next"));

        // Once the stuck drainer is done, the lane is patient again.
        release.send(()).unwrap();
        first.join().unwrap();
        let books = lane.books.lock();
        assert_eq!((books.busy, books.stuck, books.free), (0, 0, 0));
    }

    #[test]
    fn starts_queued_behind_a_start_that_blocks_get_drainers_from_the_watchdog() {
        let (lane, executor) = (Arc::new(Lane::default()), Manual::default());
        let (log, logged) = mpsc::channel();
        // All three reach the lane before its drainer runs; the first then blocks.
        let (blocker, blocker_started, release) = blocking_start();
        lane.submit(&executor, blocker);
        lane.submit(&executor, logging(&log, "second"));
        lane.submit(&executor, logging(&log, "third"));
        let mut drainers = executor.take_jobs();
        assert_eq!(drainers.len(), 1);
        let first = std::thread::spawn(drainers.remove(0));
        blocker_started.recv().unwrap();

        executor.poll_futures(); // the watch the drainer armed is due
        executor.run_jobs();
        assert_eq!(logged.try_iter().collect::<Vec<_>>(), ["second", "third"]);
        release.send(()).unwrap();
        first.join().unwrap();
    }

    #[test]
    fn without_a_timer_a_start_behind_a_busy_drainer_gets_one_at_once() {
        let lane = Arc::new(Lane::default());
        let executor = Manual {
            timerless: true,
            ..Manual::default()
        };
        let (blocker, blocker_started, release) = blocking_start();
        lane.submit(&executor, blocker);
        let first = std::thread::spawn(executor.take_jobs().remove(0));
        blocker_started.recv().unwrap();
        let (log, logged) = mpsc::channel();
        lane.submit(&executor, logging(&log, "behind"));
        executor.run_jobs();
        assert_eq!(logged.try_recv(), Ok("behind"));
        release.send(()).unwrap();
        first.join().unwrap();
    }

    #[test]
    fn starts_left_by_a_lost_drainer_are_dropped_not_kept() {
        let (lane, executor) = (Arc::new(Lane::default()), Manual::default());
        let (dropped, drops) = mpsc::channel();
        struct Dropped(mpsc::Sender<()>);
        impl Drop for Dropped {
            fn drop(&mut self) {
                self.0.send(()).unwrap();
            }
        }
        for _ in 0..2 {
            let dropped = Dropped(dropped.clone());
            lane.submit(&executor, Box::new(move || drop(dropped)));
        }
        drop(executor.take_jobs()); // the executor loses the drainer unrun
        assert_eq!(
            drops.try_iter().count(),
            2,
            "each start dropped, so its queue is reported"
        );
        assert!(lane.books.lock().waiting.is_empty());
    }

    #[test]
    fn a_panicking_start_leaves_the_drainer_draining() {
        let (lane, executor) = (Arc::new(Lane::default()), Manual::default());
        let (log, logged) = mpsc::channel();
        lane.submit(&executor, Box::new(|| panic!("a report hook panicked")));
        lane.submit(&executor, logging(&log, "after"));
        executor.run_jobs();
        assert_eq!(logged.try_recv(), Ok("after"));
    }
}
