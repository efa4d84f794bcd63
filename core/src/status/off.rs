//! Without the `status` feature, the queue state's link to an observer is this: nothing, and every
//! booking an empty inline function.

use std::sync::{Arc, Weak};

use parking_lot::Mutex;

use crate::metrics::Ledger;
use crate::queue::state::State;
use crate::report::TaskReport;
use crate::task::Task;

#[derive(Default)]
pub(crate) struct Watch;

/// What a queued task gets without the feature: no id.
pub(crate) struct NoId;

impl Watch {
    #[inline(always)]
    pub(crate) fn new(_: Option<&Arc<Ledger>>, _: &Weak<Mutex<State>>) -> Self {
        Self
    }
    #[inline(always)]
    pub(crate) fn adopt<'a>(&mut self, _: &Arc<Ledger>, _: impl Iterator<Item = &'a Task>) {}
    #[inline(always)]
    pub(crate) fn queued(&mut self, _: &Task) -> NoId {
        NoId
    }
    #[inline(always)]
    pub(crate) fn handed(&mut self) {}
    #[inline(always)]
    pub(crate) fn started(&mut self) {}
    #[inline(always)]
    pub(crate) fn taken(&mut self, _: usize, _: bool) {}
    #[inline(always)]
    pub(crate) fn settled(&mut self, _: &TaskReport) {}
    #[inline(always)]
    pub(crate) fn settled_after_current(&mut self, _: &TaskReport) {}
}
