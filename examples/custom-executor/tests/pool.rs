//! The pool's two sides, its shutdown, and a queue run on it.

use std::future::poll_fn;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::thread;
use std::time::Duration;

use background_tasks::{BackgroundTasks, BlockingError, Executor};
use background_tasks_example_custom_executor::{ThreadPoolExecutor, block_on, is_async_worker};

/// A failure bound, never a way to wait for something to happen.
const LIMIT: Duration = Duration::from_secs(10);

/// Where the calling code runs: (on an async worker?, thread name).
fn whereabouts() -> (bool, String) {
    let name = thread::current().name().unwrap_or_default().to_owned();
    (is_async_worker(), name)
}

#[test]
fn spawned_future_runs_on_an_async_worker() {
    let executor = ThreadPoolExecutor::new();
    let (tx, rx) = mpsc::channel();
    executor.spawn(Box::pin(async move { tx.send(whereabouts()).unwrap() }));

    let (on_worker, name) = rx.recv_timeout(LIMIT).unwrap();
    assert!(on_worker);
    assert!(name.starts_with("custom-async-"), "ran on {name}");
}

#[test]
fn spawned_future_woken_from_another_thread_runs_to_its_end() {
    let executor = ThreadPoolExecutor::new();
    let (waker_tx, waker_rx) = mpsc::channel::<Waker>();
    let (done_tx, done_rx) = mpsc::channel();
    let released = Arc::new(Mutex::new(false));

    let flag = released.clone();
    executor.spawn(Box::pin(async move {
        poll_fn(|cx| {
            if *flag.lock().unwrap() {
                Poll::Ready(())
            } else {
                waker_tx.send(cx.waker().clone()).unwrap();
                Poll::Pending
            }
        })
        .await;
        done_tx.send(()).unwrap();
    }));

    // The task is parked on its waker; release and wake it from a thread of our own.
    let waker = waker_rx.recv_timeout(LIMIT).unwrap();
    thread::spawn(move || {
        *released.lock().unwrap() = true;
        waker.wake();
    });
    done_rx.recv_timeout(LIMIT).unwrap();
}

#[test]
fn wake_during_a_poll_is_not_lost() {
    let executor = ThreadPoolExecutor::with_threads(4, 1);
    let (tx, rx) = mpsc::channel();
    for task in 0..8 {
        let tx = tx.clone();
        let mut polls = 0;
        executor.spawn(Box::pin(async move {
            poll_fn(|cx| {
                polls += 1;
                if polls == 20 {
                    return Poll::Ready(());
                }
                // Woken from another thread while this poll is still running, half the time,
                // from this one the other half: either wake must bring another poll.
                let waker = cx.waker().clone();
                if polls % 2 == 0 {
                    thread::spawn(move || waker.wake()).join().unwrap();
                } else {
                    waker.wake();
                }
                Poll::Pending
            })
            .await;
            tx.send(task).unwrap();
        }));
    }

    let mut finished: Vec<i32> = (0..8).map(|_| rx.recv_timeout(LIMIT).unwrap()).collect();
    finished.sort_unstable();
    assert_eq!(finished, (0..8).collect::<Vec<_>>());
}

#[test]
fn panicking_future_does_not_take_the_worker_down() {
    let executor = ThreadPoolExecutor::with_threads(1, 1);
    executor.spawn(Box::pin(async { panic!("detached boom") }));

    let (tx, rx) = mpsc::channel();
    executor.spawn(Box::pin(async move { tx.send(()).unwrap() }));
    rx.recv_timeout(LIMIT).unwrap();
}

#[test]
fn spawn_blocking_runs_on_a_blocking_thread() {
    let executor = ThreadPoolExecutor::new();
    let (tx, rx) = mpsc::channel();
    let result =
        block_on(executor.spawn_blocking(Box::new(move || tx.send(whereabouts()).unwrap())));

    assert_eq!(result, Ok(()));
    let (on_worker, name) = rx.recv_timeout(LIMIT).unwrap();
    assert!(!on_worker);
    assert!(name.starts_with("custom-blocking-"), "ran on {name}");
}

#[test]
fn panicking_job_comes_back_as_panicked() {
    let executor = ThreadPoolExecutor::with_threads(1, 1);
    let result = block_on(executor.spawn_blocking(Box::new(|| panic!("boom"))));
    assert_eq!(result, Err(BlockingError::Panicked("boom".into())));

    // The only blocking thread survived the panic.
    assert_eq!(block_on(executor.spawn_blocking(Box::new(|| ()))), Ok(()));
}

#[test]
fn jobs_queued_when_the_pool_is_dropped_come_back_cancelled() {
    let executor = ThreadPoolExecutor::with_threads(1, 1);
    let (started_tx, started) = mpsc::channel();
    let (release, release_rx) = mpsc::channel::<()>();
    let running = executor.spawn_blocking(Box::new(move || {
        started_tx.send(()).unwrap();
        release_rx.recv_timeout(LIMIT).unwrap();
    }));
    // The only blocking thread is busy, so the next job has to wait in the queue.
    started.recv_timeout(LIMIT).unwrap();
    let (ran_tx, ran) = mpsc::channel::<()>();
    let queued = executor.spawn_blocking(Box::new(move || ran_tx.send(()).unwrap()));

    drop(executor);
    release.send(()).unwrap();

    assert_eq!(block_on(running), Ok(()), "the running job finishes");
    assert_eq!(block_on(queued), Err(BlockingError::Cancelled));
    // Dropped unrun: its sender went away without sending.
    assert_eq!(ran.recv_timeout(LIMIT), Err(RecvTimeoutError::Disconnected));
}

/// Two sync and two async tasks, alternating, that record in order which thread ran them.
fn mixed_queue(log: &Arc<Mutex<Vec<String>>>) -> BackgroundTasks {
    let tasks = BackgroundTasks::new();
    for n in 1..=4 {
        let log = log.clone();
        let record = move |kind: &str| {
            let place = match whereabouts() {
                (true, _) => "worker",
                (false, name) if name.starts_with("custom-blocking-") => "blocking",
                (false, _) => "caller",
            };
            log.lock().unwrap().push(format!("{kind} {n}: {place}"));
        };
        if n % 2 == 1 {
            tasks.add_task(move || record("sync"));
        } else {
            tasks.add_async_task(async move { record("async") });
        }
    }
    tasks
}

#[test]
fn queue_of_sync_and_async_tasks_runs_in_order_under_block_on() {
    let executor = ThreadPoolExecutor::new();
    let log = Arc::new(Mutex::new(Vec::new()));

    let report = block_on(mixed_queue(&log).run(&executor));

    assert!(report.is_success(), "{report:?}");
    assert_eq!(report.tasks().len(), 4);
    // block_on polls the run, so async tasks run on the test thread.
    let expected = [
        "sync 1: blocking",
        "async 2: caller",
        "sync 3: blocking",
        "async 4: caller",
    ];
    assert_eq!(*log.lock().unwrap(), expected);
}

#[test]
fn queue_spawned_on_the_executor_runs_its_async_tasks_on_a_worker() {
    let executor = ThreadPoolExecutor::with_threads(2, 2);
    let log = Arc::new(Mutex::new(Vec::new()));
    let tasks = mixed_queue(&log);
    let (tx, rx) = mpsc::channel();

    // What an HTTP layer does after the response: spawn the run and let it go.
    let handle = executor.clone();
    executor.spawn(Box::pin(async move {
        tx.send(tasks.run(&handle).await).unwrap();
    }));

    let report = rx.recv_timeout(LIMIT).unwrap();
    assert!(report.is_success(), "{report:?}");
    let expected = [
        "sync 1: blocking",
        "async 2: worker",
        "sync 3: blocking",
        "async 4: worker",
    ];
    assert_eq!(*log.lock().unwrap(), expected);
}

#[test]
fn debug_shows_the_thread_counts() {
    let executor = ThreadPoolExecutor::with_threads(2, 3);
    assert_eq!(
        format!("{executor:?}"),
        "ThreadPoolExecutor { async_workers: 2, blocking_threads: 3 }"
    );
}

/// `block_on` must not stall an async worker; awaiting there is the way.
#[test]
fn block_on_refuses_to_run_on_an_async_worker() {
    let executor = ThreadPoolExecutor::new();
    let (tx, rx) = mpsc::channel();
    executor.spawn(Box::pin(async move {
        let refused = std::panic::catch_unwind(|| block_on(async {})).is_err();
        tx.send(refused).unwrap();
    }));
    assert!(rx.recv_timeout(LIMIT).unwrap());
}
