//! One queue's record in the observer's window, and [`Watch`]: the queue state's link to it,
//! which books every change under the queue's own lock.
//!
//! Which task a settled report belongs to follows from the queue's order: tasks start in the
//! order they were queued, and the ones taken out unrun (skipped, discarded, abandoned) are
//! settled in order too, so the watch keeps the indices of what it handed out, not a map.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant, SystemTime};

use parking_lot::Mutex;

use super::view::{QueueRequest, QueueView, TaskState, TaskView};
use super::{CancelError, Observer, Owner, TaskId};
use crate::report::{Outcome, TaskReport};
use crate::task::{Task, TaskKind};

/// Queue numbers, process-wide: an id stays unique across observers and runners.
static NEXT_QUEUE: AtomicU64 = AtomicU64::new(1);

pub(super) type SharedRecord = Arc<Mutex<QueueRecord>>;

/// One queue as the observer keeps it.
pub(super) struct QueueRecord {
    id: u64,
    /// The observer's version at this record's last change.
    version: u64,
    /// The queue itself, for a cancel; `None` for a queue adopted after it was made.
    owner: Option<Weak<dyn Owner>>,
    /// When its request ended and the queue was handed to the runner.
    handed: Option<Instant>,
    request: Option<QueueRequest>,
    tasks: Vec<TaskRecord>,
}

pub(super) struct TaskRecord {
    label: Cow<'static, str>,
    kind: TaskKind,
    queued: Instant,
    started: Option<Instant>,
    ended: Option<(Instant, Outcome, Duration)>,
    /// Why a cancelled task was discarded.
    reason: Option<String>,
    /// What the task handed a durable job to, once the storage has it.
    pushed: Option<Pushed>,
}

/// A durable job's hand-over, as its task tells the observer: the storage's id for it, if any.
struct Pushed {
    job_id: Option<String>,
}

impl QueueRecord {
    /// A new queue's record, with its first task.
    pub(super) fn new(id: u64, owner: Option<Weak<dyn Owner>>, first: TaskRecord) -> Self {
        Self {
            id,
            version: 0,
            owner,
            handed: None,
            request: None,
            tasks: vec![first],
        }
    }

    /// Makes this forgotten record a new queue's, in place: its allocation and its task list's
    /// are reused. Hands back what the old one held that may free memory, to drop outside the
    /// window's lock.
    pub(super) fn renew(
        &mut self,
        id: u64,
        owner: Option<Weak<dyn Owner>>,
        first: TaskRecord,
    ) -> (Option<QueueRequest>, Option<Weak<dyn Owner>>) {
        self.id = id;
        self.version = 0;
        self.handed = None;
        self.tasks.clear();
        // Room for a few tasks, not for the longest queue this place ever held: the window's
        // memory stays bounded by what its queues hold now.
        self.tasks.shrink_to(4);
        self.tasks.push(first);
        (
            self.request.take(),
            std::mem::replace(&mut self.owner, owner),
        )
    }

    pub(super) fn id(&self) -> u64 {
        self.id
    }

    pub(super) fn version(&self) -> u64 {
        self.version
    }

    pub(super) fn owner(&self) -> Option<Arc<dyn Owner>> {
        self.owner.as_ref().and_then(Weak::upgrade)
    }

    pub(super) fn task_state(&self, index: u32) -> Option<TaskState> {
        self.tasks.get(index as usize).map(TaskRecord::state)
    }

    /// Notes that task `index` handed its job to a storage, which keeps it as `job_id`; the
    /// record takes `version`. An index this queue never gave is ignored.
    pub(super) fn pushed(&mut self, index: u32, job_id: Option<String>, version: u64) {
        if let Some(task) = self.tasks.get_mut(index as usize) {
            task.pushed = Some(Pushed { job_id });
            self.version = version;
        }
    }

    pub(super) fn view(&self, epoch: (Instant, SystemTime)) -> QueueView {
        let at = |instant: Instant| wall(epoch, instant);
        QueueView {
            id: self.id,
            version: self.version,
            request: self.request.clone(),
            response_end: self.handed.map(at),
            queue_delay: match (self.handed, self.tasks.first().and_then(|t| t.started)) {
                (Some(handed), Some(started)) => Some(started.saturating_duration_since(handed)),
                _ => None,
            },
            tasks: self
                .tasks
                .iter()
                .enumerate()
                .map(|(index, task)| TaskView {
                    id: TaskId::new(self.id, index as u32),
                    label: task.label.clone(),
                    kind: task.kind,
                    state: task.state(),
                    reason: task.reason.clone(),
                    queued: at(task.queued),
                    started: task.started.map(at),
                    ended: task.ended.as_ref().map(|(ended, _, _)| at(*ended)),
                    duration: task.ended.as_ref().map(|(_, _, took)| *took),
                })
                .collect(),
        }
    }
}

impl TaskRecord {
    fn state(&self) -> TaskState {
        match (&self.ended, self.started) {
            (Some((_, Outcome::Succeeded, _)), _) if self.pushed.is_some() => {
                let job_id = self.pushed.as_ref().and_then(|p| p.job_id.clone());
                TaskState::Pushed(job_id)
            }
            (Some((_, outcome, _)), _) => TaskState::Ended(outcome.clone()),
            (None, Some(_)) => TaskState::Running,
            (None, None) => TaskState::Queued,
        }
    }
}

fn wall(epoch: (Instant, SystemTime), instant: Instant) -> SystemTime {
    let (base, wall) = epoch;
    match instant.checked_duration_since(base) {
        Some(after) => wall + after,
        None => wall - base.duration_since(instant),
    }
}

/// A queue state's link to its observer: `None` (one word, one branch per booking) unless the
/// queue's runner observes it.
#[derive(Default)]
pub(crate) struct Watch(Option<Box<Watching>>);

struct Watching {
    observer: Observer,
    owner: Option<Weak<dyn Owner>>,
    /// Made with the queue's first task: a queue nothing was added to is not kept.
    record: Option<SharedRecord>,
    /// Tasks handed out of the queue so far (started, or taken out unrun), cancelled ones aside.
    handed_out: u32,
    /// The task running now, whose report comes next.
    current: Option<u32>,
    /// Tasks taken out unrun, in order, whose reports come next when nothing runs.
    unrun: VecDeque<u32>,
    /// Tasks a shutdown abandoned while another ran, reported through `record_after_current`.
    after_current: VecDeque<u32>,
    /// Tasks cancelled while waiting: handed out of the queue's middle.
    cancelled: Vec<u32>,
    /// Whether the record has the queue's hand-over to its runner (its request's end).
    hand_over: HandOver,
}

/// Whether a queue's record has its hand-over: kept here, so that the runner's own note of it
/// after an HTTP integration's `describe` takes no lock of the record.
#[derive(Clone, Copy, PartialEq, Eq)]
enum HandOver {
    Pending,
    Noted,
}

impl Watch {
    /// The observer watching this queue, if any.
    pub(crate) fn observer(&self) -> Option<&Observer> {
        self.0.as_ref().map(|watching| &watching.observer)
    }

    /// The link for a queue that `observer` watches (if any), held by `owner`.
    pub(crate) fn new(observer: Option<&Observer>, owner: Option<Weak<dyn Owner>>) -> Self {
        match observer {
            None => Self(None),
            Some(observer) => Self(Some(Box::new(Watching {
                observer: observer.clone(),
                owner,
                record: None,
                handed_out: 0,
                current: None,
                unrun: VecDeque::new(),
                after_current: VecDeque::new(),
                cancelled: Vec::new(),
                hand_over: HandOver::Pending,
            }))),
        }
    }

    /// A queue made elsewhere is watched by `observer` (if any) from now on, with `waiting` tasks
    /// queued before: they are recorded now. No cancel reaches it: nothing links it to its owner.
    pub(crate) fn adopt<'a>(
        &mut self,
        observer: Option<&Observer>,
        waiting: impl Iterator<Item = &'a Task>,
    ) {
        if self.0.is_some() {
            return;
        }
        *self = Self::new(observer, None);
        if let Some(watching) = &mut self.0 {
            for task in waiting {
                watching.queued(task);
            }
        }
    }

    /// `task` joins the queue; its id, if the queue is observed.
    pub(crate) fn queued(&mut self, task: &Task) -> Option<TaskId> {
        self.0.as_mut().map(|watching| watching.queued(task))
    }

    /// The queue's request ended and the queue was handed to its runner (to run, or discard).
    /// An HTTP integration's `describe` noted it already: then nothing changes, and no version
    /// moves.
    pub(crate) fn handed(&mut self) {
        if let Some(watching) = &mut self.0 {
            if watching.hand_over == HandOver::Pending && watching.record.is_some() {
                watching.hand_over = HandOver::Noted;
                watching.update(|record| {
                    record.handed.get_or_insert_with(Instant::now);
                });
            }
        }
    }

    /// The request the queue belongs to.
    pub(crate) fn describe(&mut self, request: QueueRequest) {
        if let Some(watching) = &mut self.0 {
            let request = watching.observer.redact_path(request);
            if watching.record.is_some() {
                watching.hand_over = HandOver::Noted;
            }
            watching.update(|record| {
                record.handed.get_or_insert_with(Instant::now);
                record.request = Some(request);
            });
        }
    }

    /// The next task starts.
    pub(crate) fn started(&mut self) {
        if let Some(watching) = &mut self.0 {
            let index = watching.hand_out();
            watching.current = Some(index);
            watching
                .observer
                .inner
                .counts
                .started
                .fetch_add(1, Ordering::AcqRel);
            watching.update_task(index, |task| task.started = Some(Instant::now()));
        }
    }

    /// `count` waiting tasks were taken out unrun, to be settled in order.
    pub(crate) fn taken(&mut self, count: usize, after_current: bool) {
        if let Some(watching) = &mut self.0 {
            for _ in 0..count {
                let index = watching.hand_out();
                match after_current {
                    false => watching.unrun.push_back(index),
                    true => watching.after_current.push_back(index),
                }
            }
        }
    }

    /// A task was settled: the one running, or else the next taken out unrun.
    pub(crate) fn settled(&mut self, report: &TaskReport) {
        if let Some(watching) = &mut self.0 {
            let (index, ran) = match watching.current.take() {
                Some(index) => (Some(index), true),
                None => (watching.unrun.pop_front(), false),
            };
            watching.end(index, report, ran, None);
        }
    }

    /// A task a shutdown abandoned while another ran was settled.
    pub(crate) fn settled_after_current(&mut self, report: &TaskReport) {
        if let Some(watching) = &mut self.0 {
            let index = watching.after_current.pop_front();
            watching.end(index, report, false, None);
        }
    }

    /// Where the waiting task `index` sits among the `waiting` ones, marking it cancelled.
    pub(crate) fn cancel(&mut self, index: u32, waiting: usize) -> Result<usize, CancelError> {
        let watching = self.0.as_mut().ok_or(CancelError::Unreachable)?;
        let before = watching
            .cancelled
            .iter()
            .filter(|&&c| c >= watching.handed_out && c < index)
            .count() as u32;
        let waits = index >= watching.handed_out && !watching.cancelled.contains(&index);
        let at = index.wrapping_sub(watching.handed_out).wrapping_sub(before) as usize;
        if !waits || at >= waiting {
            return Err(CancelError::Started);
        }
        watching.cancelled.push(index);
        Ok(at)
    }

    /// The cancelled task `index` was settled.
    pub(crate) fn settled_cancelled(&mut self, index: u32, report: &TaskReport, reason: String) {
        if let Some(watching) = &mut self.0 {
            watching.end(Some(index), report, false, Some(reason));
        }
    }
}

impl Drop for Watching {
    /// The queue is gone: its record lets go of it too. A record that kept its link would keep
    /// the queue's allocation (its `Arc`'s memory, not its contents) until the window forgets it,
    /// a thousand queues later, when that memory is cold; let go here, it is freed now, while
    /// warm, and the next queue can reuse it.
    fn drop(&mut self) {
        if let Some(record) = &self.record {
            record.lock().owner = None;
        }
    }
}

impl Watching {
    fn queued(&mut self, task: &Task) -> TaskId {
        let label = match &self.observer.inner.redact {
            None => task.label.clone(),
            Some(redact) => Cow::Owned(redact(&task.label)),
        };
        let entry = TaskRecord {
            label,
            kind: task.kind(),
            queued: Instant::now(),
            started: None,
            ended: None,
            reason: None,
            pushed: None,
        };
        self.observer
            .inner
            .counts
            .queued
            .fetch_add(1, Ordering::AcqRel);
        if let Some(record) = &self.record {
            let mut record = record.lock();
            record.version = self.observer.bump();
            record.tasks.push(entry);
            return TaskId::new(record.id, (record.tasks.len() - 1) as u32);
        }
        let id = NEXT_QUEUE.fetch_add(1, Ordering::Relaxed);
        // Kept before its version is set: a reader that sees the new version finds it.
        let record = self.observer.keep(id, self.owner.clone(), entry);
        record.lock().version = self.observer.bump();
        self.record = Some(record);
        TaskId::new(id, 0)
    }

    /// The index of the next task out of the queue's front, past the cancelled ones.
    fn hand_out(&mut self) -> u32 {
        let mut index = self.handed_out;
        while self.cancelled.contains(&index) {
            index += 1;
        }
        self.handed_out = index + 1;
        index
    }

    fn end(&mut self, index: Option<u32>, report: &TaskReport, ran: bool, reason: Option<String>) {
        let Some(index) = index else {
            self.observer.count_outcome(&report.outcome, ran);
            return;
        };
        let outcome = match &report.outcome {
            Outcome::Failed(e) => Outcome::Failed(self.observer.redacted(e)),
            Outcome::Panicked(e) => Outcome::Panicked(self.observer.redacted(e)),
            // Timeouts and abandonments are ours to word: nothing of the app's in them.
            other => other.clone(),
        };
        let duration = report.duration;
        let Some(record) = &self.record else {
            self.observer.count_outcome(&report.outcome, ran);
            return;
        };
        // Counted under the record's lock, after the record and before the version moves: a
        // reader woken by the version finds the count and the record agreeing.
        let mut record = record.lock();
        if let Some(task) = record.tasks.get_mut(index as usize) {
            // A task that ran ended its run time after its start (one clock read fewer per task;
            // the runner times the run itself, a moment after the start noted here).
            let ended = match task.started {
                Some(started) => started + duration,
                None => Instant::now(),
            };
            task.ended = Some((ended, outcome, duration));
            task.reason = reason;
        }
        self.observer.count_outcome(&report.outcome, ran);
        record.version = self.observer.bump();
    }

    fn update(&mut self, change: impl FnOnce(&mut QueueRecord)) {
        let Some(record) = &self.record else { return };
        // Bumped under the record's lock: a reader that sees the new version and then scans
        // waits for this change, and never files it under a version it has already sent.
        let mut record = record.lock();
        change(&mut record);
        record.version = self.observer.bump();
    }

    fn update_task(&mut self, index: u32, change: impl FnOnce(&mut TaskRecord)) {
        self.update(|record| {
            if let Some(task) = record.tasks.get_mut(index as usize) {
                change(task);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task() -> TaskRecord {
        TaskRecord {
            label: Cow::Borrowed("t"),
            kind: TaskKind::Async,
            queued: Instant::now(),
            started: None,
            ended: None,
            reason: None,
            pushed: None,
        }
    }

    #[test]
    fn a_renewed_record_keeps_room_for_a_few_tasks_not_for_its_longest_queue() {
        let mut record = QueueRecord::new(1, None, task());
        record.tasks.extend((0..1000).map(|_| task()));
        let _ = record.renew(2, None, task());
        assert_eq!((record.id, record.tasks.len()), (2, 1));
        assert!(record.tasks.capacity() <= 4, "{}", record.tasks.capacity());
    }
}
