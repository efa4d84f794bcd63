//! [`JobId`]: the id a storage keeps a pushed job under, made before the push.

use std::fmt;

/// The id a storage keeps a pushed job under: a ULID made before the push and written as the
/// job's apalis `task_id`, so a worker's `TaskId` for the job is the same. Hand it to a client
/// that will look the job up in the job engine.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct JobId(pub(crate) String);

impl JobId {
    pub(crate) fn new() -> Self {
        Self(ulid::Ulid::generate().to_string())
    }

    /// The id as the storage writes it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
