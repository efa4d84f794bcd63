//! [`FailurePolicy`]: what a queue does after one of its tasks fails.

/// What a queue does after one of its tasks fails or panics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailurePolicy {
    /// The remaining tasks are not run and are reported as [`Outcome::Skipped`](crate::Outcome::Skipped): FastAPI's
    /// behaviour, since later tasks often depend on earlier ones.
    #[default]
    StopOnError,
    /// The remaining tasks run anyway.
    ContinueOnError,
}
