//! Without the `status` feature, the queue state's link to an observer is this: nothing, and every
//! booking an empty inline function.

use crate::report::TaskReport;
use crate::task::Task;

#[derive(Default)]
pub(crate) struct Watch;

/// What a queued task gets without the feature: no id.
pub(crate) struct NoId;

impl Watch {
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
