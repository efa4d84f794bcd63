//! A `TokioExecutor` with a tokio-util `TaskTracker`: an application that drains its tracker at
//! shutdown waits for the background tasks too, sync and async.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use background_tasks::{BackgroundTasks, Runner};
use background_tasks_tokio::TokioExecutor;
use tokio::sync::{mpsc, oneshot};
use tokio_util::task::TaskTracker;

/// A failure bound only: every wait here ends long before.
const LIMIT: Duration = Duration::from_secs(20);

#[test]
fn draining_the_tracker_waits_for_queued_tasks() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let tracker = TaskTracker::new();
    let executor =
        TokioExecutor::from_handle(runtime.handle().clone()).with_tracker(tracker.clone());
    let runner = Runner::new(executor);

    let finished = Arc::new(AtomicUsize::new(0));
    let (started, mut starts) = mpsc::unbounded_channel::<&str>();
    let (release, released) = oneshot::channel::<()>();
    // A queue that starts with sync work (straight on the blocking pool), then waits.
    let tasks = BackgroundTasks::new();
    {
        let (finished, started) = (finished.clone(), started.clone());
        tasks.add_task(move || {
            let _ = started.send("sync");
            finished.fetch_add(1, Ordering::SeqCst);
        });
    }
    {
        let finished = finished.clone();
        tasks.add_async_task(async move {
            let _ = started.send("async");
            let _ = released.await;
            finished.fetch_add(1, Ordering::SeqCst);
        });
    }
    runner.spawn(tasks, |_| ());

    runtime.block_on(async {
        next(&mut starts, "sync").await;
        next(&mut starts, "async").await;
        assert!(!tracker.is_empty(), "the waiting task is tracked");
        tracker.close();
        release.send(()).unwrap();
        tokio::time::timeout(LIMIT, tracker.wait())
            .await
            .expect("the tracker drains");
    });
    assert_eq!(
        finished.load(Ordering::SeqCst),
        2,
        "the tracker was empty before the tasks finished"
    );
}

async fn next(starts: &mut mpsc::UnboundedReceiver<&'static str>, expected: &str) {
    let got = tokio::time::timeout(LIMIT, starts.recv())
        .await
        .expect("the task starts");
    assert_eq!(got, Some(expected));
}
