//! [`Fifo`]: a queue's waiting tasks, oldest first.

use std::collections::VecDeque;

use crate::task::Task;

/// The waiting tasks, oldest first. The first is kept inline: most requests queue one task, and
/// then the queue needs no buffer of its own.
#[derive(Default)]
pub(crate) struct Fifo {
    // When present, older than everything in `rest`: a task goes there only into an empty queue.
    head: Option<Task>,
    rest: VecDeque<Task>,
}

impl Fifo {
    pub(crate) fn push_back(&mut self, task: Task) {
        if self.head.is_none() && self.rest.is_empty() {
            self.head = Some(task);
        } else {
            self.rest.push_back(task);
        }
    }

    pub(crate) fn pop_front(&mut self) -> Option<Task> {
        self.head.take().or_else(|| self.rest.pop_front())
    }

    /// Puts `task` back at the front, where it was just taken from.
    pub(crate) fn push_front(&mut self, task: Task) {
        if let Some(head) = self.head.replace(task) {
            self.rest.push_front(head);
        }
    }

    pub(crate) fn front(&self) -> Option<&Task> {
        self.head.as_ref().or_else(|| self.rest.front())
    }

    pub(crate) fn len(&self) -> usize {
        usize::from(self.head.is_some()) + self.rest.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.head.is_none() && self.rest.is_empty()
    }

    #[cfg(feature = "status")]
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Task> {
        self.head.iter().chain(&self.rest)
    }

    /// Takes out the task `at` places from the front (a cancel).
    #[cfg(feature = "status")]
    pub(crate) fn remove(&mut self, at: usize) -> Option<Task> {
        match (at, self.head.is_some()) {
            (0, true) => self.head.take(),
            (at, true) => self.rest.remove(at - 1),
            (at, false) => self.rest.remove(at),
        }
    }

    /// Empties the queue, oldest first.
    pub(crate) fn take_all(&mut self) -> Vec<Task> {
        self.head
            .take()
            .into_iter()
            .chain(self.rest.drain(..))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(fifo: &Fifo) -> Vec<&str> {
        fifo.iter().map(Task::label).collect()
    }

    fn task(label: &'static str) -> Task {
        Task::sync(|| ()).with_label(label)
    }

    #[test]
    fn keeps_order_across_the_inline_head_and_the_rest() {
        let mut fifo = Fifo::default();
        assert!(fifo.is_empty());
        fifo.push_back(task("a"));
        fifo.push_back(task("b"));
        fifo.push_back(task("c"));
        assert_eq!((fifo.len(), labels(&fifo)), (3, vec!["a", "b", "c"]));
        assert_eq!(
            fifo.pop_front().map(|t| t.label().to_owned()),
            Some("a".into())
        );
        // The head is empty now and `rest` is not: a new task must go behind the rest.
        fifo.push_back(task("d"));
        assert_eq!(labels(&fifo), ["b", "c", "d"]);
        assert_eq!(fifo.front().map(Task::label), Some("b"));
        let all: Vec<String> = fifo
            .take_all()
            .iter()
            .map(|t| t.label().to_owned())
            .collect();
        assert_eq!(all, ["b", "c", "d"]);
        assert!(fifo.is_empty() && fifo.pop_front().is_none());
    }

    #[test]
    fn a_single_task_needs_no_buffer() {
        let mut fifo = Fifo::default();
        fifo.push_back(task("only"));
        assert_eq!(fifo.rest.capacity(), 0);
        assert_eq!(
            fifo.pop_front().map(|t| t.label().to_owned()),
            Some("only".into())
        );
    }
}
