//! The status page every example mounts.

use background_tasks::status::Observer;
use background_tasks::{Executor, Runner};
use background_tasks_status::StatusPage;

/// `runner`'s status page, giving the runner an observer if it has none yet. A runner's clones
/// share its observer, so the layer, middleware or fairing that made `runner` records its queues
/// from now on. Access is the page's default: read-only for loopback peers, `403` for everyone
/// else.
pub fn status_page<E: Executor + Clone>(runner: &Runner<E>) -> StatusPage {
    if runner.observer().is_none() {
        // The clone is dropped; the observer stays with every clone, the caller's included.
        let _ = runner.clone().observe(Observer::default());
    }
    StatusPage::new(runner).expect("the runner was given an observer just above")
}
