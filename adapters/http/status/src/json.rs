//! The JSON the page and API clients read: a snapshot (or an update) of the observer, and one
//! task.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use background_tasks::status::{Changes, Counts, Observer, QueueView, TaskState, TaskView};
use serde_json::{Value, json};

use crate::access::Access;

/// Upper bounds of the histograms' buckets, in milliseconds; the last bucket is everything above.
pub(crate) const BUCKETS_MS: [f64; 12] = [
    0.1, 0.5, 1.0, 5.0, 10.0, 50.0, 100.0, 500.0, 1000.0, 5000.0, 10000.0, 60000.0,
];

/// A snapshot (`changes` since version 0) or an update (since the reader's version).
pub(crate) fn state(observer: &Observer, access: Access, changes: Changes) -> Value {
    let queues = observer.queues();
    let delays = queues.iter().filter_map(|q| q.queue_delay);
    let runs = queues
        .iter()
        .flat_map(|q| q.tasks.iter().filter_map(|t| t.duration));
    json!({
        "version": changes.version,
        "phase": observer.phase().as_str(),
        "access": access.as_str(),
        "window": observer.window(),
        "oldest": changes.oldest,
        "dropped": changes.dropped,
        "counts": counts(observer.counts()),
        "histograms": {
            "bounds_ms": BUCKETS_MS,
            "queue_delay": histogram(delays),
            "run_time": histogram(runs),
        },
        "queues": changes.queues.iter().map(queue).collect::<Vec<_>>(),
    })
}

fn counts(c: Counts) -> Value {
    json!({
        "queued": c.queued, "waiting": c.waiting, "running": c.running,
        "succeeded": c.succeeded, "failed": c.failed, "panicked": c.panicked,
        "timed_out": c.timed_out, "skipped": c.skipped, "discarded": c.discarded,
        "abandoned": c.abandoned,
    })
}

pub(crate) fn histogram(durations: impl Iterator<Item = Duration>) -> Vec<u64> {
    let mut counts = vec![0; BUCKETS_MS.len() + 1];
    for duration in durations {
        let ms = duration.as_secs_f64() * 1000.0;
        let at = BUCKETS_MS
            .iter()
            .position(|&bound| ms <= bound)
            .unwrap_or(BUCKETS_MS.len());
        counts[at] += 1;
    }
    counts
}

fn queue(q: &QueueView) -> Value {
    let request = q.request.as_ref();
    json!({
        "id": q.id,
        "method": request.map(|r| &*r.method),
        "path": request.map(|r| r.path.as_str()),
        "status": request.and_then(|r| r.status),
        "ending": request.map(|r| &*r.ending),
        "response_end": q.response_end.map(millis),
        "queue_delay_ms": q.queue_delay.map(ms),
        "tasks": q.tasks.iter().map(task).collect::<Vec<_>>(),
    })
}

pub(crate) fn task(t: &TaskView) -> Value {
    json!({
        "id": t.id.to_string(),
        "label": &*t.label,
        "kind": t.kind.as_str(),
        "state": t.state.as_str(),
        "error": t.state.error().or(t.reason.as_deref().map(Into::into)),
        "job_id": t.state.job_id(),
        "queued": millis(t.queued),
        "started": t.started.map(millis),
        "ended": t.ended.map(millis),
        "duration_ms": t.duration.map(ms),
    })
}

/// A task looked up by id: its view while its queue is kept, else `unknown`.
pub(crate) fn task_lookup(id: &str, state: &TaskState, view: Option<&TaskView>) -> Value {
    match view {
        Some(view) => task(view),
        None => json!({ "id": id, "state": state.as_str() }),
    }
}

fn millis(at: SystemTime) -> f64 {
    at.duration_since(UNIX_EPOCH).map_or(0.0, ms)
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_fall_in_the_first_bucket_that_holds_them() {
        let counts = histogram(
            [0.05, 0.1, 0.2, 700.0, 120_000.0]
                .into_iter()
                .map(|ms| Duration::from_secs_f64(ms / 1000.0)),
        );
        assert_eq!(counts[0], 2);
        assert_eq!(counts[1], 1);
        assert_eq!(counts[8], 1, "700 ms is under 1 s");
        assert_eq!(counts[BUCKETS_MS.len()], 1, "above the last bound");
    }
}
